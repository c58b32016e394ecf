"""Network: the stage's VPC, its endpoints and the security groups of its functions.

- VPC `stratigos-<stage>` over `max_azs` zones (10.0.0.0/16): public subnets (the NAT
  gateways only), private subnets with egress through `nat_gateways` NAT gateways, and isolated
  subnets with no route out of the VPC. Flow logs of rejected traffic go to
  `/stratigos/<stage>/vpc-flow-logs` (encrypted with the stage's key).
- Gateway endpoints for S3 and DynamoDB (free; on every subnet's route table) and interface
  endpoints (private DNS) for what the functions call: Bedrock Runtime, SQS, Secrets Manager,
  CloudWatch Logs, STS and, with tracing on, X-Ray (the OpenTelemetry spans).
- Security groups, egress HTTPS (443) only, no ingress: `isolated` for the functions that need
  nothing outside AWS (cleanup, market-data ingestion), placed in the isolated subnets, where the
  only routes lead to the endpoints; `egress` for those that must leave AWS (the API: brokers'
  account checks and Cognito's keys; the worker: brokers, webhooks, SES, SageMaker; the
  WebSocket function: API Gateway's connection API), placed in the private subnets behind NAT;
  `jobs` for SageMaker Processing (sweep batches and the search pipeline's steps), placed in
  the isolated subnets like `isolated`: no internet egress, the store and the market data
  through the gateway endpoints. The endpoints' group admits HTTPS from those groups only.

`attach(function, kind)` puts a function in its subnets with its group.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge
from infra.stacks.common import log_group

Placement = Literal["isolated", "egress", "jobs"]
INTERFACE_ENDPOINTS = {
    "BedrockRuntime": ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
}
"""The interface endpoints of every VPC (X-Ray's is added when tracing is on)."""
HTTPS = ec2.Port.tcp(443)


class NetworkStack(Stack):
    """VPC, endpoints and function security groups (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=config.prefix,
            ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
            max_azs=config.max_azs,
            nat_gateways=config.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=22
                ),
            ],
            restrict_default_security_group=True,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDb": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
            flow_logs={
                "Rejected": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                        log_group(self, "FlowLogs", config, "vpc-flow-logs", key=key)
                    ),
                    traffic_type=ec2.FlowLogTrafficType.REJECT,
                )
            },
        )
        self.groups: dict[Placement, ec2.SecurityGroup] = {
            kind: self._function_group(kind) for kind in ("isolated", "egress", "jobs")
        }
        self.endpoint_group = ec2.SecurityGroup(
            self,
            "EndpointGroup",
            vpc=self.vpc,
            security_group_name=f"{config.prefix}-endpoints",
            description="Interface endpoints: HTTPS from the functions of the stage only",
            allow_all_outbound=False,
        )
        for group in self.groups.values():
            self.endpoint_group.add_ingress_rule(group, HTTPS, "HTTPS from the stage's code")
        acknowledge(
            self.endpoint_group,
            "EC23",
            "ingress is HTTPS from the function and job security groups only (a reference "
            "the rule cannot resolve), never from an address range",
        )
        services = dict(INTERFACE_ENDPOINTS)
        if config.tracing == "xray":
            services["XRay"] = ec2.InterfaceVpcEndpointAwsService.XRAY
        self.endpoints = {
            name: self.vpc.add_interface_endpoint(
                f"{name}Endpoint",
                service=service,
                private_dns_enabled=True,
                open=False,  # only the function groups' rules, not the whole VPC's range
                security_groups=[self.endpoint_group],
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            )
            for name, service in services.items()
        }

    def _function_group(self, kind: Placement) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            f"{kind.title()}FunctionGroup",
            vpc=self.vpc,
            security_group_name=f"{self.config.prefix}-{kind}-functions"
            if kind != "jobs"
            else f"{self.config.prefix}-sagemaker-jobs",
            description={
                "isolated": "Functions that reach only AWS (endpoints): HTTPS out",
                "egress": "Functions that reach the internet through NAT: HTTPS out",
                "jobs": "SageMaker Processing jobs: AWS through the endpoints only, HTTPS out",
            }[kind],
            allow_all_outbound=False,
        )
        group.add_egress_rule(ec2.Peer.any_ipv4(), HTTPS, "HTTPS only")
        return group

    def placement(self, kind: Placement) -> dict[str, Any]:
        """The `vpc`, `vpc_subnets` and `security_groups` of a function placed as `kind`."""
        subnet_type = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS
            if kind == "egress"
            else ec2.SubnetType.PRIVATE_ISOLATED
        )
        return {
            "vpc": self.vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_type=subnet_type),
            "security_groups": [self.groups[kind]],
        }


def jobs_network(network: NetworkStack | None) -> tuple[list[str], list[str]] | None:
    """The subnet and security group ids of the stage's SageMaker Processing jobs (its isolated
    subnets, the `jobs` group), None without a network."""
    if network is None:
        return None
    subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    return list(subnets.subnet_ids), [network.groups["jobs"].security_group_id]


def placement(network: NetworkStack | None, kind: Placement) -> dict[str, Any]:
    """The VPC settings of a function placed as `kind` (none without a network)."""
    return {} if network is None else network.placement(kind)


__all__ = ["INTERFACE_ENDPOINTS", "NetworkStack", "Placement", "jobs_network", "placement"]
