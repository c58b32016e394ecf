"""The container images' recipes (infra/docker/*.Dockerfile) read as text: no Docker engine runs
here, so the tests check their instructions and run their steps the way the images run them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.support.cdk_synth import ROOT

DOCKER = ROOT / "infra" / "docker"
RECIPES = sorted(DOCKER.glob("*.Dockerfile"))
KERNEL_BUILD = ["/opt/stratigos/bin/python", "-P", "-m", "quant.warm_kernels"]
"""The build step that compiles the numeric kernels into the image (docs/engine.md)."""


def instructions(recipe: Path) -> list[str]:
    """The recipe's instructions, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", recipe.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def final_environment(recipe: Path) -> dict[str, str]:
    """The `ENV` settings of the recipe's final stage (the image that runs), values unquoted."""
    lines = instructions(recipe)
    last_stage = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    settings: dict[str, str] = {}
    for line in lines[last_stage:]:
        if line.startswith("ENV "):
            for word in shlex.split(line.removeprefix("ENV ")):
                name, _, value = word.partition("=")
                settings[name] = value
    return settings


def kernel_build_step(recipe: Path) -> dict[str, str]:
    """The environment the recipe's `KERNEL_BUILD` step runs with (its `NAME=value` prefix);
    `ValueError` when the recipe has no such step or more than one."""
    steps = []
    for line in instructions(recipe):
        if line.startswith("RUN "):
            words = shlex.split(line.removeprefix("RUN "))
            names = [w for w in words if re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", w)]
            if words[len(names) :] == KERNEL_BUILD:
                steps.append({name: value for name, _, value in (w.partition("=") for w in names)})
    if len(steps) != 1:
        raise ValueError(f"{recipe.name}: {len(steps)} steps run {' '.join(KERNEL_BUILD)}")
    return steps[0]
