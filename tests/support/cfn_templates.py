"""Reading the synthesized CloudFormation templates in the infra tests: resources by type and
property, identity policy statements, and intrinsic functions of literals written out."""

from __future__ import annotations

from typing import Any

from tests.support.cdk_synth import ACCOUNT, REGION

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}


def render(value: Any) -> Any:
    """`value` with `Fn::Join` of literals and pseudo parameters written out as strings."""
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            parts = [render(p) for p in parts]
            if all(isinstance(p, str) for p in parts):
                return separator.join(parts)
            return {"Fn::Join": [separator, parts]}
        return {k: render(v) for k, v in value.items()}
    return value


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


IDENTITY_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
"""Policies attached to roles: inline ones, and the managed policies CDK moves statements to when
a role's inline policies would pass IAM's size limit."""


def identity_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every policy attached to roles (`IDENTITY_POLICY_TYPES`), by logical id."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] in IDENTITY_POLICY_TYPES}


def one(template: dict[str, Any], kind: str, **properties: Any) -> dict[str, Any]:
    """The single resource of `kind` whose properties include `properties`."""
    found = [
        v["Properties"]
        for v in resources(template, kind).values()
        if all(v["Properties"].get(k) == value for k, value in properties.items())
    ]
    assert len(found) == 1, f"{len(found)} {kind} with {properties}"
    return found[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of the template's identity policies (AWS::IAM::Policy, role policies)."""
    found: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] in IDENTITY_POLICY_TYPES:
            found += props["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += policy["PolicyDocument"]["Statement"]
    return found


def function_by_name(template: dict[str, Any], name: str) -> dict[str, Any]:
    return one(template, "AWS::Lambda::Function", FunctionName=name)


def policies_of_role(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in identity_policies(template).values():
        roles = policy["Properties"].get("Roles", [])
        if {"Ref": role_logical_id} in roles:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def role_of(template: dict[str, Any], function_name: str) -> str:
    return function_by_name(template, function_name)["Role"]["Fn::GetAtt"][0]


def actions_of(stmts: list[dict[str, Any]]) -> set[str]:
    return {action for s in stmts for action in as_list(s["Action"])}
