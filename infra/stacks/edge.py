"""Edge: a CloudFront distribution in front of the API and the web UI, its web ACL, and an
optional custom domain. CloudFront's web ACLs and certificates live in us-east-1, and so does
this stack (with references across regions when the stage is elsewhere).

- Bucket (private, S3-managed encryption, TLS only, access logged): the web UI's files as the
  API serves them (`index.html` with plotly's version, `static/*` from `api/web`,
  `static/vendor/plotly.min.js` from the installed plotly package), copied at each deployment,
  which invalidates the distribution. CloudFront reads it through an origin access control.
- Distribution: `/index.html` (the default root object) and `/static/*` from the bucket, cached
  at the edge (CloudFront's CachingOptimized policy; every deployment invalidates them, so they
  stay immutable between deployments); everything else (`/v1/*`, the Agent Protocol, MCP) from
  the REST API's stage, never cached, every viewer header but Host forwarded, responses streamed
  as the function sends them (server-sent events keep their 60 s read timeout alive with the
  app's pings; a stream lasts up to the function's 15 minutes). HTTPS only, HTTP/2 and 3, its
  standard logs in the access-log bucket.
- Web ACL `stratigos-<stage>-edge` (scope CLOUDFRONT): the per-IP rate rule and the AWS managed
  common and known-bad-inputs rules, as on the REST API.
- With `domain_name`: an ACM certificate validated in `hosted_zone_name` and Route 53 alias
  records (A and AAAA) to the distribution, TLS 1.2 at least.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import plotly
from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge, acknowledge_cdk_handlers
from infra.stacks.api import ApiStack, web_acl_rules
from infra.stacks.common import REPO_ROOT
from infra.stacks.foundation import access_log_bucket

EDGE_REGION = "us-east-1"
"""Where CloudFront's web ACLs and certificates must be (and this stack is)."""
WEB_DIR = REPO_ROOT / "api" / "web"
PLOTLY_PLACEHOLDER = "__PLOTLY_VERSION__"
API_READ_TIMEOUT = Duration.seconds(60)


def web_assets() -> Path:
    """A directory holding the web UI as the API serves it (see the module docstring)."""
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
            self, "EdgeLogs", removal=RemovalPolicy.DESTROY, days=90, acl_writers=True
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
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{config.prefix}-edge",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"{config.prefix}-edge",
                sampled_requests_enabled=True,
            ),  # the rules' metrics: <prefix>-edge-<rule>
            rules=web_acl_rules(config, "edge"),
        )
        self.distribution = self._distribution(api, logs)
        self.deployment = s3deploy.BucketDeployment(
            self,
            "WebFiles",
            destination_bucket=self.bucket,
            sources=[s3deploy.Source.asset(str(web_assets()))],
            cache_control=[s3deploy.CacheControl.no_cache()],  # browsers revalidate
            distribution=self.distribution,
            distribution_paths=["/index.html", "/static/*"],
            memory_limit=512,
        )
        acknowledge_cdk_handlers(self)
        CfnOutput(self, "DistributionDomainName", value=self.distribution.distribution_domain_name)

    def _distribution(self, api: ApiStack, logs: s3.Bucket) -> cloudfront.Distribution:
        config = self.config
        web = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        static = cloudfront.BehaviorOptions(
            origin=web,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            compress=True,
        )
        domain: dict[str, Any] = {}
        if config.domain_name:
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
            domain = {
                "domain_names": [config.domain_name],
                "certificate": certificate,
                "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Stratigos {config.stage}",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.RestApiOrigin(api.rest_api, read_timeout=API_READ_TIMEOUT),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                compress=False,  # streamed responses pass as the function sends them
            ),
            additional_behaviors={"/index.html": static, "/static/*": static},
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=self.web_acl.attr_arn,
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
            **domain,
        )
        acknowledge(
            distribution,
            "CFR1",
            "no country is blocked: the service has no legal reason to, and the web ACL rate "
            "limits every client",
        )
        if not config.domain_name:
            acknowledge(
                distribution,
                "CFR4",
                "without a custom domain CloudFront's default certificate allows TLS 1.0; set "
                "domain_name for TLS 1.2 at least",
            )
        if config.domain_name:
            target = route53.RecordTarget.from_alias(route53_targets.CloudFrontTarget(distribution))
            for record, kind in (("Alias", route53.ARecord), ("AliasV6", route53.AaaaRecord)):
                kind(self, record, zone=zone, record_name=config.domain_name, target=target)
        return distribution
