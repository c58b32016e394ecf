"""The instant estimates' SageMaker serverless endpoint (docs/strategy-model.md).

- Model (`AWS::SageMaker::Model`): the processing image (`infra/docker/processing.Dockerfile`,
  built from the lock), which SageMaker runs as `python -m jobs.entrypoint serve`: the serving
  entry point `api.estimates_endpoint` (HTTP on port 8080, `GET /ping`, `POST /invocations`),
  answering with `services.estimates.estimate_strategy` from the owner's model in the
  model-artifacts bucket. Its role `stratigos-<stage>-estimates` reads the owners' strategy
  models and their records in the store table (`infra.access.STORE_ACCESS["estimates"]`:
  reads only), pulls the image and writes the endpoint's logs and metrics. Nothing else: not
  the API key pepper (it checks no API key, `STRATIGOS_STORE_API_KEY_CHECKS=false`). A
  serverless endpoint runs in SageMaker's network (serverless inference takes no VPC
  configuration and no network isolation): it reads the store and the models, writes nothing.
- Endpoint configuration: one variant with `ServerlessConfig` (`estimates_memory_mb`,
  `estimates_max_concurrency`: the stage's settings).
- Endpoint `stratigos-<stage>-estimates`: only the API function may invoke it
  (`sagemaker:InvokeEndpoint` on its ARN, `grant_invoke`), and it names the endpoint to the
  API (`STRATIGOS_API_ESTIMATES_ENDPOINT_NAME`): the API passes the authenticated owner, never
  the caller's word.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.checkov import skip
from infra.config import StageConfig
from infra.stacks.common import grant_store_access
from infra.stacks.foundation import FoundationStack
from infra.stacks.search_pipeline import grant_logs_and_metrics, sagemaker_service

VARIANT = "estimates"
SERVE_ARGUMENT = "serve"
"""What SageMaker adds after the image's entry point to start a serving container."""


def endpoint_environment(config: StageConfig, foundation: FoundationStack) -> dict[str, str]:
    """The settings of the serving container: the store on AWS (the owners' models in the
    model-artifacts bucket)."""
    return {
        "STRATIGOS_STORE_BACKEND": "aws",
        "STRATIGOS_STORE_TABLE_PREFIX": config.table_prefix,
        "STRATIGOS_STORE_S3_BUCKET": foundation.results_bucket.bucket_name,
        "STRATIGOS_STORE_DOCUMENTS_S3_BUCKET": foundation.documents_bucket.bucket_name,
        "STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET": foundation.model_artifacts_bucket.bucket_name,
        "STRATIGOS_STORE_AWS_REGION": Stack.of(foundation).region,
        # it checks no API key: no pepper (infra.access.API_KEY_CHECKERS)
        "STRATIGOS_STORE_API_KEY_CHECKS": "false",
        "STRATIGOS_DATA_DIR": "/tmp/stratigos",
        "STRATIGOS_LOG_FORMAT": "json",
    }


class EstimatesEndpoint(Construct):
    """The model, its serverless endpoint configuration and the endpoint (see the module
    docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        image: ecr_assets.DockerImageAsset,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = f"{config.prefix}-estimates"
        self.role = iam.Role(
            self,
            "Role",
            role_name=self.name,
            description="The instant estimates' serverless endpoint: reads the owners' models",
            assumed_by=sagemaker_service(self),
        )
        grant_store_access(self.role, foundation, "estimates")
        image.repository.grant_pull(self.role)
        grant_logs_and_metrics(self.role, "/aws/sagemaker/Endpoints/*", "/aws/sagemaker/Endpoints")
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.image_uri,
                environment=endpoint_environment(config, foundation),
            ),
        )
        self.model.node.add_dependency(self.role)
        skip(
            self.model,
            "CKV_AWS_370",
            "it reads the owners' models from S3 and DynamoDB, which network isolation forbids; "
            "a serverless endpoint takes no VPC either: its role reads, and writes nothing",
        )
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=self.model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=config.estimates_memory_mb,
                        max_concurrency=config.estimates_max_concurrency,
                    ),
                )
            ],
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        self.endpoint_arn = Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint", resource_name=self.name
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        """Let `grantee` invoke this endpoint, and only this one."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:InvokeEndpoint"], resources=[self.endpoint_arn])
        )
