"""The SageMaker Pipeline Definition Language's rules for the parts a search pipeline uses, as a
JSON Schema (draft 7): written here from the schema the SageMaker team publishes
(github.com/aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema,
`schema/pipeline-definition.schema.json`, whose repository carries no licence, so it is not
copied): version 2020-12-01; parameters of the four types; Processing and Condition steps
with exactly the properties that schema allows them (`additionalProperties: false` at every
level it says so), step and parameter names matching its pattern, retry policies of its
exception types, and every argument a literal of its type or a `Get`."""

from __future__ import annotations

from typing import Any

NAME = {"type": "string", "pattern": "^[A-Za-z0-9\\-_]{1,64}$"}
DESCRIPTION = {"type": "string", "maxLength": 4096}
GET = {
    "type": "object",
    "properties": {"Get": {"type": "string"}},
    "required": ["Get"],
    "additionalProperties": False,
}


def _value(kind: str) -> dict[str, Any]:
    return {"oneOf": [{"type": kind}, GET]}


STRING, INTEGER, BOOLEAN = _value("string"), _value("integer"), _value("boolean")


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _parameter(kind: str, default: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return _closed(
        {
            "Name": NAME,
            "Description": DESCRIPTION,
            "DefaultValue": default,
            "Type": {"type": "string", "enum": [kind]},
        },
        required,
    )


PARAMETER = {
    "oneOf": [
        _parameter("String", {"type": "string", "maxLength": 4096}, ("Name",)),
        _parameter("Integer", {"type": "integer"}, ("Name", "Type")),
        _parameter("Float", {"type": "number"}, ("Name", "Type")),
        _parameter("Boolean", {"type": "boolean"}, ("Name", "Type")),
    ]
}
RETRY_POLICY = _closed(
    {
        "ExceptionType": {
            "type": "string",
            "enum": [
                "Step.SERVICE_FAULT",
                "Step.THROTTLING",
                "SageMaker.JOB_INTERNAL_ERROR",
                "SageMaker.CAPACITY_ERROR",
                "SageMaker.RESOURCE_LIMIT",
                "Emr.RESOURCE_LIMIT",
            ],
        },
        "IntervalSeconds": {"type": "integer"},
        "BackoffRate": {"type": "number"},
        "ExpireAfterMin": {"type": "integer"},
        "MaxAttempts": {"type": "integer"},
    },
    ("ExceptionType",),
)
S3_INPUT = _closed(
    {
        "LocalPath": STRING,
        "S3CompressionType": STRING,
        "S3DataDistributionType": STRING,
        "S3DataType": STRING,
        "S3InputMode": STRING,
        "S3Uri": STRING,
    }
)
PROCESSING_ARGUMENTS = _closed(
    {
        "AppSpecification": _closed(
            {
                "ContainerArguments": {"type": "array", "items": STRING},
                "ContainerEntrypoint": {"type": "array", "items": STRING},
                "ImageUri": STRING,
            }
        ),
        "Environment": {"type": "object", "patternProperties": {".*": STRING}},
        "ProcessingInputs": {
            "type": "array",
            "items": _closed({"InputName": STRING, "S3Input": S3_INPUT}),
        },
        "ProcessingOutputConfig": _closed(
            {
                "KmsKeyId": STRING,
                "Outputs": {
                    "type": "array",
                    "items": _closed(
                        {
                            "OutputName": STRING,
                            "S3Output": _closed(
                                {"LocalPath": STRING, "S3UploadMode": STRING, "S3Uri": STRING}
                            ),
                        }
                    ),
                },
            }
        ),
        "ProcessingResources": _closed(
            {
                "ClusterConfig": _closed(
                    {
                        "InstanceCount": INTEGER,
                        "InstanceType": STRING,
                        "VolumeKmsKeyId": STRING,
                        "VolumeSizeInGB": INTEGER,
                    }
                )
            }
        ),
        "NetworkConfig": _closed(
            {
                "EnableInterContainerTrafficEncryption": BOOLEAN,
                "EnableNetworkIsolation": BOOLEAN,
                "VpcConfig": _closed(
                    {
                        "SecurityGroupIds": {"type": "array", "items": STRING},
                        "Subnets": {"type": "array", "items": STRING},
                    }
                ),
            }
        ),
        "RoleArn": STRING,
        "StoppingCondition": _closed({"MaxRuntimeInSeconds": INTEGER}),
        "Tags": {"type": "array", "items": _closed({"Key": STRING, "Value": STRING})},
    }
)
PROCESSING_STEP = _closed(
    {
        "Name": NAME,
        "Type": {"type": "string", "enum": ["Processing"]},
        "DependsOn": {"type": "array", "items": NAME},
        "DisplayName": NAME,
        "Description": DESCRIPTION,
        "RetryPolicies": {"type": "array", "items": RETRY_POLICY},
        "CacheConfig": _closed({"Enabled": {"type": "boolean"}, "ExpireAfter": {"type": "string"}}),
        "Arguments": PROCESSING_ARGUMENTS,
    },
    ("Type", "Name", "Arguments"),
)
_OPERAND = {"anyOf": [STRING, BOOLEAN, INTEGER, _value("number")]}
CONDITION_STEP = _closed(
    {
        "Name": NAME,
        "Type": {"type": "string", "enum": ["Condition"]},
        "DependsOn": {"type": "array", "items": NAME},
        "DisplayName": NAME,
        "Description": DESCRIPTION,
        "Arguments": _closed(
            {
                "Conditions": {
                    "type": "array",
                    "items": _closed(
                        {
                            "LeftValue": _OPERAND,
                            "RightValue": _OPERAND,
                            "Type": {
                                "type": "string",
                                "enum": [
                                    "GreaterThan",
                                    "LessThan",
                                    "LessThanOrEqualTo",
                                    "GreaterThanOrEqualTo",
                                    "Equals",
                                    "NotEquals",
                                ],
                            },
                        },
                        ("Type", "LeftValue", "RightValue"),
                    ),
                },
                "IfSteps": {"type": "array", "items": PROCESSING_STEP},
                "ElseSteps": {"type": "array", "items": PROCESSING_STEP},
            },
            ("Conditions",),
        ),
    },
    ("Type", "Name", "Arguments"),
)
PIPELINE_DEFINITION: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    **_closed(
        {
            "Version": {"type": "string", "enum": ["2020-12-01"]},
            "Metadata": {
                "type": "object",
                "patternProperties": {
                    "^[A-Za-z0-9\\-_]{1,128}$": {"type": "string", "maxLength": 1024}
                },
            },
            "Parameters": {"type": "array", "items": PARAMETER},
            "Steps": {"type": "array", "items": {"oneOf": [PROCESSING_STEP, CONDITION_STEP]}},
        },
        ("Steps",),
    ),
}
