"""API: the FastAPI app on Lambda behind a streaming REST API, Cognito, WAF, usage plans, and
the WebSocket API for job status.

- Function `stratigos-<stage>-api`: container image `infra/docker/api.Dockerfile` (python:3.13-slim
  with the AWS Lambda Web Adapter, `uvicorn api.app:app` on port 8080,
  `AWS_LWA_INVOKE_MODE=response_stream`, start-up check `/v1/health/live`). It does not run jobs
  (`STRATIGOS_API_JOB_WORKERS=0`): it queues them (`STRATIGOS_JOBS_QUEUE_URL`).
- REST API `stratigos-<stage>-api` (regional): every route is a Lambda proxy integration with
  `responseTransferMode: STREAM` and a 15-minute timeout, so server-sent events stream. The
  `public_paths` (GET: the web page, its assets, health) are open; everything else needs a
  Cognito ID token (`Authorization: Bearer`) when `cognito_authorizer`, and an API Gateway key
  (`x-api-key`, metered by the usage plan) when `require_usage_plan_key`. API Gateway's own errors use the app's error body
  `{"error": {"code", "message", "details"}}`. X-Ray tracing, JSON access logs.
- WAF web ACL `<prefix>-api` (`infra.stacks.waf`): the blocked countries, a per-IP rate rule,
  AWS common rules and known bad inputs, every request logged (credentials redacted). The REST
  API's endpoint accepts TLS 1.2 and 1.3 only (`TLS_POLICY`); Cognito requires TOTP MFA where
  `mfa` says (staging, prod).
- WebSocket API `stratigos-<stage>-ws`: `$connect`, `$disconnect`, `$default` on the function
  `stratigos-<stage>-ws` (`api.ws_gateway.handler`), which may post to its connections.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.checkov import skip
from infra.config import StageConfig
from infra.images import WS_HANDLER
from infra.nag import acknowledge
from infra.stacks.common import (
    API_DOCKERFILE,
    PLATFORM,
    REPO_ROOT,
    base_environment,
    container_function,
    grant_bedrock,
    grant_checkpoints,
    grant_embedding,
    grant_memory,
    grant_store_access,
    lambda_image,
    log_group,
    market_data_environment,
)
from infra.stacks.compute import ComputeStack
from infra.stacks.foundation import FoundationStack, removal_policy
from infra.stacks.network import NetworkStack, placement
from infra.stacks.release import ApiRelease
from infra.stacks.research_index import grant_research_index, research_index_uri
from infra.stacks.waf import web_acl

API_TIMEOUT = Duration.minutes(15)
"""The longest a streamed response may last (Lambda's limit)."""
LWA_PORT = "8080"
READINESS_PATH = "/v1/health/live"
"""The Web Adapter's start-up check: liveness (the process answers); `/v1/health` also reads
the store, which an instance does not need to start (it answers 503 while the store is down)."""

TLS_POLICY = "TLS_1_2"
"""The REST API's own endpoint refuses TLS 1.0 and 1.1 (API Gateway's default there is TLS_1_0;
its WebSocket endpoints always enforce TLS 1.2)."""
WS_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "route": "$context.routeKey",
    "event": "$context.eventType",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    "error": "$context.error.message",
}
"""One JSON line per WebSocket request in `/stratigos/<stage>/ws-access`."""

_ERROR_TEMPLATE = json.dumps(
    {
        "error": {
            "code": "$context.error.responseType",
            "message": "$context.error.messageString",
            "details": {"request_id": "$context.requestId"},
        }
    }
).replace('"$context.error.messageString"', "$context.error.messageString")
"""API Gateway's own errors in the app's error shape (`messageString` is already quoted)."""
OAUTH_SCOPES = (
    ("openid", cognito.OAuthScope.OPENID),
    ("email", cognito.OAuthScope.EMAIL),
    ("profile", cognito.OAuthScope.PROFILE),
)
"""The web client's only OAuth scopes (the sign-in's ID token and who signed in)."""


class ApiStack(Stack):
    """REST API, WebSocket API, Cognito, WAF and usage plans (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        compute: ComputeStack,
        network: NetworkStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.network = network
        self.key = foundation.key
        self._user_pool()
        issuer = self.user_pool.user_pool_provider_url

        environment = (
            base_environment(config, foundation, checks_api_keys=True)
            | market_data_environment(config, foundation)
            | {
                "STRATIGOS_API_COGNITO_ISSUER": issuer,
                "STRATIGOS_API_JOB_WORKERS": "0",
                "STRATIGOS_JOBS_QUEUE_URL": compute.job_queue.queue_url,
                "STRATIGOS_RESEARCH_INDEX_URI": research_index_uri(foundation),
                # estimates are answered by the serverless endpoint (infra.stacks.estimates_endpoint)
                "STRATIGOS_API_ESTIMATES_ENDPOINT_NAME": compute.estimates.name,
                "AWS_LWA_INVOKE_MODE": "response_stream",
                "AWS_LWA_PORT": LWA_PORT,
                "AWS_LWA_READINESS_CHECK_PATH": READINESS_PATH,
            }
        )
        self.function = container_function(
            self,
            "ApiFunction",
            config=config,
            name="api",
            code=lambda_.DockerImageCode.from_image_asset(
                str(REPO_ROOT), file=API_DOCKERFILE, platform=PLATFORM
            ),
            environment=environment,
            memory_mb=config.api_memory_mb,
            timeout=API_TIMEOUT,
            description="Stratigos HTTP API (uvicorn api.app:app behind the Lambda Web Adapter)",
            key=foundation.key,
            reserved_concurrency=config.api_reserved_concurrency,
            # brokers' account checks and Cognito's signing keys are outside AWS's endpoints
            placement=placement(network, "egress"),
        )
        # the store as infra.access declares (what the API's code calls), its graphs' state
        grant_store_access(self.function, foundation, "api")
        grant_checkpoints(self.function, foundation)
        foundation.market_data_bucket.grant_read(self.function)
        grant_research_index(self.function, foundation)  # index, search (the chat too)
        grant_memory(self.function, foundation)  # the chat's long-term memory, /v1/memories
        compute.job_queue.grant_send_messages(self.function)
        compute.estimates.grant_invoke(self.function)  # that endpoint only
        compute.execution.grant_broker_keys(self.function)  # checks an owner's Alpaca account
        self.bedrock_resources = grant_bedrock(self.function, config, self)
        self.embedding_resources = grant_embedding(self.function, config, self)

        self.release = ApiRelease(
            self, "Release", config=config, function=self.function, key=foundation.key
        )
        self.rest_api = self._rest_api()
        # the web client's sign-in returns to the stage's address, so it follows the API
        self.user_pool_client = self._web_client()
        audience = self.user_pool_client.user_pool_client_id
        self.function.add_environment("STRATIGOS_API_COGNITO_AUDIENCE", audience)
        self.release.watch(self.rest_api)
        self.web_acl = self._web_acl()
        self._usage_plan()
        self._websocket_api(config, foundation, issuer, audience)

        CfnOutput(self, "ApiUrl", value=self.rest_api.url, description="REST API base URL")
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=audience)

    def _user_pool(self) -> None:
        """The Cognito user pool (no self sign-up, e-mail sign-in, TOTP required or optional as
        `mfa` says); its web client comes with the REST API (`_web_client`)."""
        config = self.config
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{config.prefix}-users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.REQUIRED if config.mfa == "required" else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=config.retain_data,
            removal_policy=removal_policy(config),
        )
        if config.mfa == "optional":
            acknowledge(
                self.user_pool,
                "COG2",
                "MFA is optional (TOTP) on this stage only (dev): its callers use app API keys; "
                "staging and production require it",
            )
        acknowledge(
            self.user_pool,
            "COG8",
            "the Essentials tier is enough: no threat protection features are used, and Plus "
            "costs about 0.02 USD per monthly active user more",
        )

    def _web_client(self) -> cognito.UserPoolClient:
        """The web client, whose ID tokens the API accepts: no secret (a browser: the
        authorization code flow with PKCE), Cognito's own sign-in, the code grant alone (no
        implicit flow), the scopes `OAUTH_SCOPES` alone, back to the stage's own address."""
        return self.user_pool.add_client(
            "WebClient",
            user_pool_client_name=f"{self.config.prefix}-web",
            generate_secret=False,  # a public client (a browser): the code flow with PKCE
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[scope for _, scope in OAUTH_SCOPES],
                callback_urls=self._sign_in_urls(),
                logout_urls=self._sign_in_urls(),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )

    def _sign_in_urls(self) -> list[str]:
        """Where Cognito may send a signed-in (or signed-out) browser back to: the web UI at
        the stage's domain, or, without one, at the REST API's stage address (built from the
        API's id: the client cannot wait for the stage, whose function names the client)."""
        if self.config.domain_name:
            return [f"https://{self.config.domain_name}/"]
        host = f"{self.rest_api.rest_api_id}.execute-api.{self.region}.{self.url_suffix}"
        return [f"https://{host}/{self.config.stage}/"]

    # -- REST API ------------------------------------------------------------------------------
    def _rest_api(self) -> apigw.RestApi:
        config = self.config
        access_logs = log_group(self, "AccessLogs", config, "api-access", key=self.key)
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.prefix}-api",
            description=f"Stratigos API ({config.stage})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            # API Gateway's logging role is the account's (`infra.stacks.delivery`): a stage's
            # stack neither creates nor retains one
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        integration = self._integration()
        protected, public = self._method_options()
        self._routes(api, integration, protected, public)
        acknowledge(
            api,
            "APIG2",
            "every route is a proxy to the app, which validates each request against its "
            "schema and answers in the project's error format",
        )
        cfn_api: apigw.CfnRestApi = api.node.default_child
        cfn_api.security_policy = TLS_POLICY
        skip(
            api.deployment_stage,
            "CKV_AWS_120",
            "answers are per caller: the edge caches the ones that never change, keyed on the "
            "caller's credentials (infra.stacks.edge); a stage cache keyed on the path alone "
            "would give one owner's answer to another",
        )

        for name, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            api.add_gateway_response(
                name,
                type=response_type,
                templates={"application/json": _ERROR_TEMPLATE},
            )
        return api

    def _integration(self) -> apigw.LambdaIntegration:
        """The proxy integration of every route: the function's alias `live`, which each
        release moves (`infra.stacks.release`), streamed."""
        return apigw.LambdaIntegration(
            self.release.alias,
            proxy=True,
            response_transfer_mode=apigw.ResponseTransferMode.STREAM,
            timeout=API_TIMEOUT,
            scope_permission_to_method=False,
        )

    def _method_options(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The method options of the protected routes (the Cognito authorizer when the stage
        has it, the usage-plan key as configured) and of the public ones."""
        config = self.config
        if config.cognito_authorizer:
            authorizer: apigw.IAuthorizer | None = apigw.CognitoUserPoolsAuthorizer(
                self,
                "Authorizer",
                authorizer_name=f"{config.prefix}-cognito",
                cognito_user_pools=[self.user_pool],
                identity_source="method.request.header.Authorization",
                results_cache_ttl=Duration.minutes(5),
            )
            protected: dict[str, Any] = {
                "authorization_type": apigw.AuthorizationType.COGNITO,
                "authorizer": authorizer,
                "api_key_required": config.require_usage_plan_key,
            }
        else:
            protected = {
                "authorization_type": apigw.AuthorizationType.NONE,
                "api_key_required": config.require_usage_plan_key,
            }
        public: dict[str, Any] = {
            "authorization_type": apigw.AuthorizationType.NONE,
            "api_key_required": False,
        }
        return protected, public

    def _routes(
        self,
        api: apigw.RestApi,
        integration: apigw.Integration,
        protected: dict[str, Any],
        public: dict[str, Any],
    ) -> None:
        """`ANY` on `/` and on a greedy `{proxy+}` below every resource (protected); `GET` on
        each public path (`prefix/*`: on `prefix/{proxy+}`), whose parents get their own
        protected `{proxy+}` so the paths beside the public one still reach the app."""
        self._open(api.root.add_method("ANY", integration, **protected), public=False)
        proxies: dict[str, apigw.Resource] = {}

        def proxy_under(resource: apigw.IResource) -> apigw.Resource:
            if resource.path not in proxies:
                proxy = resource.add_resource("{proxy+}")
                self._open(proxy.add_method("ANY", integration, **protected), public=False)
                proxies[resource.path] = proxy
            return proxies[resource.path]

        proxy_under(api.root)
        for raw in self.config.public_paths:
            greedy = raw.rstrip("/").endswith("*")
            path = raw.strip("/").rstrip("*").strip("/")
            resource = api.root.resource_for_path(path) if path else api.root
            target = proxy_under(resource) if greedy else resource
            self._open(target.add_method("GET", integration, **public), public=True)
            parent = resource if greedy else resource.parent_resource
            while parent is not None:
                proxy_under(parent)
                parent = parent.parent_resource

    def _open(self, method: apigw.Method, *, public: bool) -> None:
        """Acknowledge that `method` has no Cognito authorizer, where that is the design: a
        public path (no data), or every path of a stage whose app checks its own API keys."""
        if public:
            reason = "a public path: the web page, its assets and health carry no data"
            skip(method, "CKV_AWS_59", reason)
        elif not self.config.cognito_authorizer:
            reason = (
                "the app authenticates every request itself (its API keys, also metered by "
                "the usage plan at the gateway when require_usage_plan_key)"
            )
        else:
            return
        for rule in ("APIG4", "COG4"):
            acknowledge(method, rule, reason)

    def _usage_plan(self) -> None:
        """The stage's usage plan: throttle and daily quota per API Gateway key (keys are added
        per client, see docs/DEPLOY.md)."""
        config = self.config
        plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            name=f"{config.prefix}-standard",
            description="Per API Gateway key: throttle and daily quota",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst
            ),
            quota=apigw.QuotaSettings(
                limit=config.usage_plan_quota_per_day, period=apigw.Period.DAY
            ),
            api_stages=[
                apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)
            ],
        )
        CfnOutput(self, "UsagePlanId", value=plan.usage_plan_id)

    def _web_acl(self) -> wafv2.CfnWebACL:
        """The regional web ACL `<prefix>-api` on the REST API's stage (`infra.stacks.waf`)."""
        acl = web_acl(self, "WebAcl", self.config, label="api", scope_name="REGIONAL", key=self.key)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=acl.attr_arn,
        )
        return acl

    # -- WebSocket API -------------------------------------------------------------------------
    def _websocket_api(
        self, config: StageConfig, foundation: FoundationStack, issuer: str, audience: str
    ) -> None:
        self.ws_api = apigwv2.WebSocketApi(
            self, "WebSocketApi", api_name=f"{config.prefix}-ws", description="Job status"
        )
        self.ws_stage = apigwv2.WebSocketStage(
            self,
            "WebSocketStage",
            web_socket_api=self.ws_api,
            stage_name=config.stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst
            ),
        )
        access_logs = log_group(self, "WsAccessLogs", config, "ws-access", key=foundation.key)
        cfn_stage: Any = self.ws_stage.node.default_child
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=json.dumps(WS_ACCESS_LOG_FORMAT),
        )
        environment = (
            base_environment(config, foundation, checks_api_keys=True)
            | market_data_environment(config, foundation)
            | {
                "STRATIGOS_API_COGNITO_ISSUER": issuer,
                "STRATIGOS_API_COGNITO_AUDIENCE": audience,
                "STRATIGOS_WS_CALLBACK_URL": self.ws_stage.callback_url,
            }
        )
        self.ws_function = container_function(
            self,
            "WebSocketFunction",
            config=config,
            name="ws",
            code=lambda_image(WS_HANDLER),
            environment=environment,
            memory_mb=1024,
            timeout=Duration.seconds(29),
            description="WebSocket routes of the job status API (api.ws_gateway.handler)",
            key=foundation.key,
            reserved_concurrency=config.ws_reserved_concurrency,
            # API Gateway's connection API (postToConnection) has no VPC endpoint
            placement=placement(self.network, "egress"),
        )
        grant_store_access(self.ws_function, foundation, "ws")  # reads status, keeps connections
        self.ws_api.grant_manage_connections(self.ws_function)
        for route in ("$connect", "$disconnect", "$default"):
            added = self.ws_api.add_route(
                route,
                integration=integrations.WebSocketLambdaIntegration(
                    f"Ws{route.strip('$').title()}", self.ws_function
                ),
            )
            acknowledge(
                added,
                "APIG4",
                "the app authenticates $connect (an API key, a bearer token or ?api_key=) and "
                "answers only its caller's jobs on the other routes",
            )
        CfnOutput(self, "WebSocketUrl", value=self.ws_stage.url)
