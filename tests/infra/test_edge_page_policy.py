"""The page the edge serves from its bucket carries the app's Content-Security-Policy
(`api.page_policy`), allowing connections to Cognito in the user pool's region; the static
files and `static/report.html` (the reports' own inline scripts) carry none."""

from __future__ import annotations

from typing import Any

import pytest

from api.page_policy import cognito_endpoint, content_security_policy
from tests.support.cdk_synth import OPTIONS, Synthesized
from tests.support.cfn_templates import one, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def rendered(value: Any, region: str) -> str:
    """A template string, `Fn::Join` of parts and the region's reference rendered."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(rendered(part, region) for part in parts)
    if value == {"Ref": "AWS::Region"}:
        return region
    raise AssertionError(f"unexpected template value {value!r}")


@pytest.mark.parametrize("stage", ["staging", "prod", OPTIONS])
def test_the_page_has_the_apps_policy_and_the_reports_none(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["edge"]
    dist = one(raw, "AWS::CloudFront::Distribution")["DistributionConfig"]
    behaviors = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
    [(logical, resource)] = resources(raw, "AWS::CloudFront::ResponseHeadersPolicy").items()
    assert behaviors["/index.html"]["ResponseHeadersPolicyId"] == {"Ref": logical}
    assert "ResponseHeadersPolicyId" not in behaviors["/static/*"]
    security = resource["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    from aws_cdk import Token  # imported here: the CDK's import starts its node process

    region = synthesized.stages[stage].api.region  # the user pool's
    if Token.is_unresolved(region):  # an environment-agnostic synthesis: the same region
        region = "REGION"
    policy = rendered(security["ContentSecurityPolicy"]["ContentSecurityPolicy"], region)
    assert policy == content_security_policy(cognito_endpoint(region).rstrip("/"))
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ContentTypeOptions"] == {"Override": True}
