"""What a change does to a stage's templates, without AWS credentials: the diff CI posts on each
pull request (`.github/workflows/ci.yml`), between the stage synthesized from the pull request's
base and from its head (both with the same context, production's stand-ins there).

`python -m infra.template_diff <base cdk.out> <head cdk.out> [--stage prod]` prints Markdown: per
stack, the resources added, removed and changed (by logical id and type, with the properties
that changed), the IAM statements added and removed (every `PolicyDocument`,
`AssumeRolePolicyDocument` and `KeyPolicy`, statement by statement), and the stacks added or
removed; "no change" when the templates are equal. The deployed stacks' own diff (`cdk diff`
with credentials) is the deploy workflow's, before the production review.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

POLICY_KEYS = ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")
_NOISE = ("Metadata",)
"""Resource keys that change without changing what is deployed (CDK's construct paths)."""


def templates(outdir: Path, stage: str | None = None) -> dict[str, dict[str, Any]]:
    """The templates of a cloud assembly by stack name (those of `stratigos-<stage>-*` only when
    `stage` is given)."""
    prefix = f"stratigos-{stage}-" if stage else ""
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in sorted(outdir.glob(f"{prefix}*.template.json"))
    }


def statements(resource: Mapping[str, Any]) -> Iterator[str]:
    """Every IAM statement a resource holds, as canonical JSON (sorted keys)."""
    props = resource.get("Properties", {})
    documents = [props[k] for k in POLICY_KEYS if isinstance(props.get(k), dict)]
    policies = props.get("Policies")
    if isinstance(policies, list):  # a role's inline policies
        documents += [
            p["PolicyDocument"]
            for p in policies
            if isinstance(p, dict) and isinstance(p.get("PolicyDocument"), dict)
        ]
    for document in documents:
        found = document.get("Statement", [])
        for statement in found if isinstance(found, list) else [found]:
            yield json.dumps(statement, sort_keys=True)


def stack_diff(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """The Markdown lines of one stack's changes (empty when none)."""
    old, new = base.get("Resources", {}), head.get("Resources", {})
    lines = []
    for logical_id in sorted(new.keys() - old.keys()):
        lines.append(f"- added `{logical_id}` ({new[logical_id]['Type']})")
    for logical_id in sorted(old.keys() - new.keys()):
        lines.append(f"- removed `{logical_id}` ({old[logical_id]['Type']})")
    for logical_id in sorted(old.keys() & new.keys()):
        before, after = old[logical_id], new[logical_id]
        keys = {k for k in before.keys() | after.keys() if k not in _NOISE}
        if all(before.get(k) == after.get(k) for k in keys):
            continue
        props = sorted(
            name
            for name in before.get("Properties", {}).keys() | after.get("Properties", {}).keys()
            if before.get("Properties", {}).get(name) != after.get("Properties", {}).get(name)
        )
        other = sorted(k for k in keys - {"Properties"} if before.get(k) != after.get(k))
        changed = ", ".join([*props, *other]) or "its properties"
        lines.append(f"- changed `{logical_id}` ({after['Type']}): {changed}")
    old_policy = {s for r in old.values() for s in statements(r)}
    new_policy = {s for r in new.values() for s in statements(r)}
    lines += [f"- IAM statement added: `{s}`" for s in sorted(new_policy - old_policy)]
    lines += [f"- IAM statement removed: `{s}`" for s in sorted(old_policy - new_policy)]
    return lines


def report(base: Mapping[str, Any], head: Mapping[str, Any]) -> str:
    """The Markdown report of `head`'s changes to `base` (templates by stack name)."""
    sections = []
    for name in sorted(base.keys() | head.keys()):
        if name not in head:
            sections.append(f"### `{name}`\n- stack removed")
        elif name not in base:
            sections.append(
                f"### `{name}`\n- stack added ({len(head[name]['Resources'])} resources)"
            )
        elif lines := stack_diff(base[name], head[name]):
            sections.append("\n".join([f"### `{name}`", *lines]))
    return "\n\n".join(sections) if sections else "no change"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m infra.template_diff", description=__doc__)
    parser.add_argument("base", type=Path)
    parser.add_argument("head", type=Path)
    parser.add_argument("--stage")
    args = parser.parse_args(argv)
    print(report(templates(args.base, args.stage), templates(args.head, args.stage)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
