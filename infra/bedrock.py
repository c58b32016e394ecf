"""IAM resources for invoking the configured Bedrock models, and nothing else.

A model id is one of:

- a foundation model (`anthropic.claude-...`): its foundation-model ARN in the Bedrock region;
- a cross-region inference profile (`<geo>.<model>`, e.g. `us.anthropic.claude-...`): the
  profile's ARN in the account and Bedrock region, plus the foundation-model ARN of `<model>` in
  every region the profile routes to (`inference_profile_regions[geo]`); a `global.` profile
  routes anywhere, which IAM writes as a foundation-model ARN with an empty region;
- an ARN (application inference profile, provisioned throughput): used as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BEDROCK_INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
"""What Converse and ConverseStream are authorized by."""

EMBEDDING_INVOKE_ACTIONS = ("bedrock:InvokeModel",)
"""What embedding calls (InvokeModel, never streamed) are authorized by."""


def model_resource_arns(
    model_ids: Iterable[str],
    *,
    region: str,
    account: str,
    inference_profile_regions: Mapping[str, Iterable[str]],
    partition: str = "aws",
) -> list[str]:
    """The ARNs that `bedrock:InvokeModel*` must allow for `model_ids` (sorted, no repeats).

    `region` is the Bedrock Runtime region the application calls; `account` the caller's
    account. Both may be CDK tokens. A geo prefix that `inference_profile_regions` does not
    know raises `ValueError` (the caller should add the profile's regions to the stage config).
    """
    arns: set[str] = set()
    for model_id in model_ids:
        if model_id.startswith("arn:"):
            arns.add(model_id)
            continue
        geo, _, base = model_id.partition(".")
        if geo == "global" and base:
            arns.add(f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}")
            arns.add(f"arn:{partition}:bedrock:::foundation-model/{base}")
        elif geo in inference_profile_regions and base:
            arns.add(f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}")
            for target in (*inference_profile_regions[geo], region):
                arns.add(f"arn:{partition}:bedrock:{target}::foundation-model/{base}")
        elif len(geo) <= 4 and "-" not in geo and base.count(".") >= 1 and geo.islower():
            # `<geo>.<provider>.<model>` with a geo we have no region list for
            raise ValueError(
                f"model id {model_id!r} looks like a cross-region inference profile of geo "
                f"{geo!r}, which inference_profile_regions does not list"
            )
        else:
            arns.add(f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}")
    return sorted(arns)
