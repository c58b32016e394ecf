"""Edge: a CloudFront distribution in front of the API and the web UI, its web ACL, and an
optional custom domain. CloudFront's web ACLs and certificates live in us-east-1, and so does
this stack (with references across regions when the stage is elsewhere).

- Key `alias/stratigos-<stage>-edge` (yearly rotation): the web ACL's log group's (KMS keys are
  regional; the stage's own is in its region). The access-log bucket (CloudFront's standard logs
  and the web bucket's) is kept when the stage keeps its data.
- Bucket (private, S3-managed encryption, TLS only, access logged): the web UI's files as the
  API serves them (`index.html` with plotly's version, `static/*` from `api/web`,
  `static/vendor/plotly.min.js` from the installed plotly package), copied at each deployment,
  which invalidates the distribution. CloudFront reads it through an origin access control.
- Distribution: `/index.html` (the default root object; with the app's Content-Security-Policy,
  `api.page_policy`) and `/static/*` from the bucket, cached
  at the edge (CloudFront's CachingOptimized policy; every deployment invalidates them, so they
  stay immutable between deployments); everything else (`/v1/*`, the Agent Protocol, MCP) from
  the REST API's stage, never cached, every viewer header but Host forwarded, responses streamed
  as the function sends them (server-sent events keep their 60 s read timeout alive with the
  app's pings; a stream lasts up to the function's 15 minutes); but the answers that never
  change (`IMMUTABLE_PATHS`: a succeeded optimization's results and report, a stored
  optimization result or simulation) go through the cache policy `stratigos-<stage>-immutable`:
  kept only when and as long as the app says so (`api.caching`: `s-maxage=30`; no minimum or
  default time), at most `RESULT_CACHE_SECONDS`, one copy per caller (the cache key holds the
  `Authorization` and `x-api-key` headers, and every query string), so one owner's answer never
  reaches another and a revoked key loses its cached answers as soon as the app forgets it.
  HTTPS only, HTTP/2 and 3, its standard logs in the access-log bucket.
- Web ACL `stratigos-<stage>-edge` (scope CLOUDFRONT, `infra.stacks.waf`): the blocked
  countries, the per-IP rate rule and the AWS managed common and known-bad-inputs rules, as on
  the REST API, every request logged to `aws-waf-logs-stratigos-<stage>-edge` (credentials
  redacted); with `blocked_countries` the distribution's geo restriction refuses them too.
- With `domain_name`: an ACM certificate validated in `hosted_zone_name` and Route 53 alias
  records (A and AAAA) to the distribution, TLS 1.2 at least (security policy TLSv1.2_2021).
  Without one the distribution answers on its `*.cloudfront.net` name with CloudFront's default
  certificate, whose security policy (TLSv1) CloudFront does not let us change: it still accepts
  TLS 1.0 and 1.1 from a client that offers nothing newer (cdk-nag's CFR4, acknowledged);
  production refuses to synthesize without a domain (`infra.completeness`).
"""

from __future__ import annotations

import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import plotly
from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_kms as kms
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from api.page_policy import cognito_endpoint, content_security_policy
from infra.checkov import skip
from infra.config import StageConfig
from infra.nag import acknowledge, acknowledge_cdk_handlers
from infra.stacks.api import ApiStack
from infra.stacks.common import REPO_ROOT
from infra.stacks.foundation import access_log_bucket, allow_log_groups, removal_policy
from infra.stacks.waf import web_acl

EDGE_REGION = "us-east-1"
"""Where CloudFront's web ACLs and certificates must be (and this stack is)."""
WEB_DIR = REPO_ROOT / "api" / "web"
PLOTLY_PLACEHOLDER = "__PLOTLY_VERSION__"
API_READ_TIMEOUT = Duration.seconds(60)
RESULT_CACHE_SECONDS = 30
"""The longest the edge keeps an immutable answer: the time a process remembers a verified API
key (`api.caching.IMMUTABLE_SECONDS`, a test checks they agree)."""
CALLER_HEADERS = ("Authorization", "x-api-key")
"""The request headers naming the caller (a Cognito token, an app API key): in the cache key."""
IMMUTABLE_PATHS = (
    "/v1/optimizations/*/results",
    "/v1/optimizations/*/report",
    "/v1/optimization/results/*",
    "/v1/monte-carlo/simulations/*",
)
"""Paths whose answers may never change once given (the app marks the ones that do not)."""
DISABLE_ASSET_STAGING = "aws:cdk:disable-asset-staging"
"""The context key that makes CDK's assets point at their sources instead of copies
(`cx_api.DISABLE_ASSET_STAGING_CONTEXT`, which the Python bindings do not export)."""


def web_assets() -> Path:
    """A new temporary directory holding the web UI as the API serves it (see the module
    docstring); the caller removes it."""
    root = Path(tempfile.mkdtemp(prefix="stratigos-web-"))
    (root / "static" / "vendor").mkdir(parents=True)
    for path in WEB_DIR.iterdir():
        if path.is_file() and path.name != "index.html":
            (root / "static" / path.name).write_bytes(path.read_bytes())
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    (root / "index.html").write_text(page.replace(PLOTLY_PLACEHOLDER, version("plotly")))
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    (root / "static" / "vendor" / "plotly.min.js").write_bytes(bundled.read_bytes())
    return root


class EdgeStack(Stack):
    """The distribution, its bucket, web ACL and domain (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: ApiStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        logs = access_log_bucket(
            self, "EdgeLogs", removal=removal_policy(config), days=90, acl_writers=True
        )
        self.bucket = s3.Bucket(
            self,
            "WebBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="web/",
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        # the rules' metrics: <prefix>-edge-<rule>; its logs in this region, as WAF requires
        self.key = kms.Key(
            self,
            "LogKey",
            alias=f"alias/{config.prefix}-edge",
            description=f"Stratigos {config.name}: the edge's web ACL logs (us-east-1)",
            enable_key_rotation=True,
            removal_policy=removal_policy(config),
        )
        allow_log_groups(self.key)
        self.web_acl = web_acl(
            self, "WebAcl", config, label="edge", scope_name="CLOUDFRONT", key=self.key
        )
        self.distribution = self._distribution(api, logs)
        assets = web_assets()
        try:
            self.deployment = s3deploy.BucketDeployment(
                self,
                "WebFiles",
                destination_bucket=self.bucket,
                sources=[s3deploy.Source.asset(str(assets))],
                cache_control=[s3deploy.CacheControl.no_cache()],  # browsers revalidate
                distribution=self.distribution,
                distribution_paths=["/index.html", "/static/*"],
                memory_limit=512,
            )
        finally:
            # the deployment stages its source (a copy in the cloud assembly) as it is made; with
            # staging disabled (SAM's tools) the assembly points at the directory itself
            if not self.node.try_get_context(DISABLE_ASSET_STAGING):
                shutil.rmtree(assets, ignore_errors=True)
        acknowledge_cdk_handlers(self)
        skip(
            self.bucket,
            "CKV_AWS_21",
            "the web UI's files, copied from the repository at every deployment: nothing there "
            "is only here",
        )
        skip(
            self.deployment.handler_role.node.find_child("DefaultPolicy"),
            "CKV_AWS_111",
            "CDK's bucket deployment: it writes the web files into their bucket and invalidates "
            "the distribution (CloudFront takes no resource for an invalidation)",
        )
        CfnOutput(self, "DistributionDomainName", value=self.distribution.distribution_domain_name)
        if config.domain_name:  # where the smoke test checks TLS 1.2 (infra.smoke)
            CfnOutput(self, "DomainName", value=config.domain_name)

    def _immutable_policy(self) -> cloudfront.CachePolicy:
        """The cache policy of `IMMUTABLE_PATHS`: a copy per caller (`CALLER_HEADERS`) and
        query string, kept only as long as the origin's `Cache-Control` allows, at most
        `RESULT_CACHE_SECONDS` (see the module docstring)."""
        return cloudfront.CachePolicy(
            self,
            "ImmutableAnswers",
            cache_policy_name=f"{self.config.prefix}-immutable",
            comment="Answers that never change: one copy per caller, as the origin allows",
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.seconds(0),
            max_ttl=Duration.seconds(RESULT_CACHE_SECONDS),
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list(*CALLER_HEADERS),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

    def _page_headers(self, api: ApiStack) -> cloudfront.ResponseHeadersPolicy:
        """The page's security headers: the app's Content-Security-Policy (`api.page_policy`,
        connections to this origin and Cognito in the user pool's region), no sniffing, no
        framing."""
        cognito = cognito_endpoint(api.region).rstrip("/")
        return cloudfront.ResponseHeadersPolicy(
            self,
            "PageHeaders",
            response_headers_policy_name=f"{self.config.prefix}-page",
            comment="The web page's Content-Security-Policy, nosniff and no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(cognito), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
        )

    def _domain(self) -> tuple[route53.IHostedZone | None, dict[str, Any]]:
        """With `domain_name`: its hosted zone and the distribution's settings for it (the
        DNS-validated certificate, TLS 1.2 at least); else None and no settings."""
        config = self.config
        if not config.domain_name:
            return None, {}
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self,
            "Zone",
            hosted_zone_id=config.hosted_zone_id or "",
            zone_name=config.hosted_zone_name or "",
        )
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=config.domain_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        return zone, {
            "domain_names": [config.domain_name],
            "certificate": certificate,
            "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        }

    def _distribution(self, api: ApiStack, logs: s3.Bucket) -> cloudfront.Distribution:
        config = self.config
        web = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        static = cloudfront.BehaviorOptions(
            origin=web,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            compress=True,
        )
        # the page itself, with the app's Content-Security-Policy (its Cognito address in the
        # user pool's region); the static files and report.html (the reports' own scripts) without
        page = cloudfront.BehaviorOptions(
            origin=web,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=self._page_headers(api),
            compress=True,
        )
        zone, domain = self._domain()
        api_origin = origins.RestApiOrigin(api.rest_api, read_timeout=API_READ_TIMEOUT)
        immutable = cloudfront.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
            cache_policy=self._immutable_policy(),
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            compress=True,
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Stratigos {config.name}",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=api_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                compress=False,  # streamed responses pass as the function sends them
            ),
            additional_behaviors={
                "/index.html": page,
                "/static/*": static,
                **dict.fromkeys(IMMUTABLE_PATHS, immutable),
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=self.web_acl.attr_arn,
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
            geo_restriction=(
                cloudfront.GeoRestriction.denylist(*config.blocked_countries)
                if config.blocked_countries
                else None
            ),
            **domain,
        )
        if not config.blocked_countries:
            acknowledge(
                distribution,
                "CFR1",
                "no country is blocked unless blocked_countries names some (the stage's legal "
                "advice decides); the web ACL rate limits every client",
            )
        if not config.domain_name:
            acknowledge(
                distribution,
                "CFR4",
                "without a custom domain CloudFront's default certificate (*.cloudfront.net) "
                "keeps its TLSv1 security policy, which CloudFront does not let a distribution "
                "change; production cannot synthesize without domain_name (TLS 1.2 at least, "
                "infra.completeness), and staging should set it too (docs/DEPLOY.md)",
            )
        if zone is not None and config.domain_name:
            target = route53.RecordTarget.from_alias(route53_targets.CloudFrontTarget(distribution))
            for record, kind in (("Alias", route53.ARecord), ("AliasV6", route53.AaaaRecord)):
                kind(self, record, zone=zone, record_name=config.domain_name, target=target)
        return distribution
