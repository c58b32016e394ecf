"""The edge's cache of immutable answers, asserted on the synthesized distributions: the paths
whose answers never change go through a cache policy that keys every copy on the caller's
credentials, keeps nothing the origin does not allow, and nothing longer than the app remembers
a verified key; every other API path stays uncached."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import KEY_CACHE_SECONDS
from api.caching import CALLER_HEADERS, IMMUTABLE_SECONDS
from tests.support.cdk_synth import OPTIONS, Synthesized
from tests.support.cfn_templates import one, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
"""CloudFront's managed CachingDisabled policy."""


def policy_of(template: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    """The `CachePolicyConfig` of the template's own cache policy a behavior names."""
    logical = behavior["CachePolicyId"]["Ref"]
    return dict(template["Resources"][logical]["Properties"]["CachePolicyConfig"])


def cache_key(policy: dict[str, Any], path: str, query: str, headers: dict[str, str]) -> tuple:
    """The key CloudFront files a request under with `policy`: the path, the query strings and
    the values of the headers the policy names (CloudFront matches header names whatever their
    case), as its documentation describes the cache key."""
    keyed = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    names = keyed["HeadersConfig"].get("Headers", [])
    lowered = {name.lower(): value for name, value in headers.items()}
    strings = query if keyed["QueryStringsConfig"]["QueryStringBehavior"] == "all" else ""
    return (path, strings, tuple(lowered.get(name.lower()) for name in names))


@pytest.mark.parametrize("stage", ["staging", "prod", OPTIONS])
def test_immutable_answers_are_cached_per_caller_as_long_as_the_origin_allows(
    synthesized: Synthesized, stage: str
) -> None:
    from infra.stacks.edge import IMMUTABLE_PATHS, RESULT_CACHE_SECONDS

    raw = synthesized.templates[stage]["edge"]
    dist = one(raw, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert dist["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED  # the rest
    behaviors = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
    [(logical, resource)] = resources(raw, "AWS::CloudFront::CachePolicy").items()
    config = resource["Properties"]["CachePolicyConfig"]
    assert config["Name"] == f"stratigos-{stage}-immutable"
    for path in IMMUTABLE_PATHS:
        behavior = behaviors[path]
        assert behavior["CachePolicyId"] == {"Ref": logical}
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        assert sorted(behavior["AllowedMethods"]) == ["GET", "HEAD", "OPTIONS"]
        assert behavior["TargetOriginId"] == dist["DefaultCacheBehavior"]["TargetOriginId"]
    # nothing kept unless the origin says so, and never longer than a key is remembered
    assert (config["MinTTL"], config["DefaultTTL"]) == (0, 0)
    assert config["MaxTTL"] == RESULT_CACHE_SECONDS == IMMUTABLE_SECONDS == KEY_CACHE_SECONDS
    keyed = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keyed["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    assert {h.lower() for h in keyed["HeadersConfig"]["Headers"]} == {
        h.lower() for h in CALLER_HEADERS
    }
    assert keyed["CookiesConfig"]["CookieBehavior"] == "none"


def test_two_owners_asking_for_the_same_answer_get_different_cache_keys(
    synthesized: Synthesized,
) -> None:
    raw = synthesized.templates["prod"]["edge"]
    dist = one(raw, "AWS::CloudFront::Distribution")["DistributionConfig"]
    [behavior] = [
        b for b in dist["CacheBehaviors"] if b["PathPattern"] == "/v1/optimizations/*/results"
    ]
    policy = policy_of(raw, behavior)
    path, query = "/v1/optimizations/job_1/results", "limit=5&sort=objective"
    alice = cache_key(policy, path, query, {"x-api-key": "sk-alice"})
    assert alice == cache_key(policy, path, query, {"X-Api-Key": "sk-alice"})  # hers, again
    bob = cache_key(policy, path, query, {"x-api-key": "sk-bob"})
    carol = cache_key(policy, path, query, {"Authorization": "Bearer carol.jwt"})
    dave = cache_key(policy, path, query, {"Authorization": "Bearer dave.jwt"})
    nobody = cache_key(policy, path, query, {})
    assert len({alice, bob, carol, dave, nobody}) == 5
    # another page of the same answer is another copy
    assert cache_key(policy, path, "limit=6", {"x-api-key": "sk-alice"}) != alice
