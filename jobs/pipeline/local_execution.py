"""Executing a SageMaker pipeline definition's steps on this machine, as SageMaker would: the
definition is the program.

`LocalExecution(definition, s3, workdir).run(parameters)` resolves the parameters (given, else
their defaults), then runs each step once every step it depends on has run (`DependsOn` and
the steps its `Get`s read), in the order the definition lists them: a Condition step
evaluates its conditions and runs its `IfSteps` or `ElseSteps`; a Processing step has its
inputs downloaded from S3 into a directory laid out as its container's filesystem, runs the
container's entry point and arguments (`python` is this interpreter; `--root` points the
container at that directory) with the step's environment, and has its output uploaded to its
S3 prefix (also when the step failed, for an output uploaded `Continuous`ly: what a
checkpointed step wrote before it failed is in S3, as on SageMaker).

With `resume=True`, a Processing step whose output prefix already holds its done marker is
not run again (what `RetryPipelineExecution` does with the steps that succeeded).
Used by the tests and for trying a definition without an AWS account (with any S3: moto's
server on loopback, or a bucket).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.pipeline.sagemaker_definition import references
from jobs.pipeline.sagemaker_pipeline import s3_location
from jobs.pipeline.steps import DONE_MARKER


class StepFailedError(RuntimeError):
    """A step of a locally executed definition failed; `step` names it."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"pipeline step {step!r} failed: {reason}")
        self.step = step


@dataclass
class LocalExecution:
    """One local execution of `definition` (see the module docstring). `s3`: a boto3 client;
    `workdir`: where the containers' filesystems go; `environment`: added to every step's."""

    definition: Mapping[str, Any]
    s3: Any
    workdir: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    ran: list[str] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def run(self, parameters: Mapping[str, Any], *, resume: bool = False) -> list[str]:
        """Run the definition's steps (see the module docstring); the names of the Processing
        steps run, in order."""
        values = {
            p["Name"]: p.get("DefaultValue")
            for p in self.definition.get("Parameters", [])
            if "DefaultValue" in p
        }
        values.update(parameters)
        steps = list(self.definition["Steps"])
        settled: set[str] = set()
        while steps:
            ready = next((s for s in steps if self._needs(s) <= settled), None)
            if ready is None:
                waiting = {s["Name"]: sorted(self._needs(s) - settled) for s in steps}
                raise StepFailedError(
                    steps[0]["Name"], f"waits for steps that never run: {waiting}"
                )
            steps.remove(ready)
            for step in self._expand(ready, values):
                self._process(step, values, resume)
                settled.add(step["Name"])
            settled.add(ready["Name"])
        return list(self.ran)

    def _needs(self, step: Mapping[str, Any]) -> set[str]:
        needed = set(step.get("DependsOn", []))
        needed |= {r.split(".")[1] for r in references(step) if r.startswith("Steps.")}
        inner = [*step.get("Arguments", {}).get("IfSteps", [])]
        inner += step.get("Arguments", {}).get("ElseSteps", [])
        return needed - {s["Name"] for s in inner} - {step["Name"]}

    def _expand(self, step: Mapping[str, Any], values: Mapping[str, Any]) -> list[Any]:
        if step["Type"] == "Processing":
            return [step]
        if step["Type"] != "Condition":
            raise StepFailedError(step["Name"], f"step type {step['Type']!r} is not supported")
        arguments = step["Arguments"]
        held = all(self._holds(c, values) for c in arguments["Conditions"])
        return list(arguments.get("IfSteps" if held else "ElseSteps", []))

    def _holds(self, condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        left = str(self._value(condition["LeftValue"], values)).lower()
        right = str(self._value(condition["RightValue"], values)).lower()
        if condition["Type"] == "Equals":
            return left == right
        if condition["Type"] == "NotEquals":
            return left != right
        raise ValueError(f"condition type {condition['Type']!r} is not supported")

    def _value(self, value: Any, values: Mapping[str, Any]) -> Any:
        if isinstance(value, dict) and set(value) == {"Get"}:
            reference = str(value["Get"])
            kind, _, rest = reference.partition(".")
            if kind == "Parameters":
                if rest not in values:
                    raise ValueError(f"parameter {rest!r} has no value")
                return values[rest]
            if kind == "Steps":
                step, _, path = rest.partition(".")
                name = path.split("Outputs['", 1)[1].split("']", 1)[0]
                return self.outputs[step][name]
            raise ValueError(f"cannot resolve {reference!r}")
        if isinstance(value, dict):
            return {k: self._value(v, values) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v, values) for v in value]
        return value

    def _process(self, step: Mapping[str, Any], values: Mapping[str, Any], resume: bool) -> None:
        name = step["Name"]
        arguments = self._value(step["Arguments"], values)
        outputs = arguments.get("ProcessingOutputConfig", {}).get("Outputs", [])
        self.outputs[name] = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in outputs}
        if resume and outputs and self._done(outputs[0]["S3Output"]["S3Uri"]):
            return
        root = self.workdir / name
        for item in arguments.get("ProcessingInputs", []):
            self._download(
                item["S3Input"]["S3Uri"], root / item["S3Input"]["LocalPath"].lstrip("/")
            )
        app = arguments["AppSpecification"]
        command = [self.python if part == "python" else part for part in app["ContainerEntrypoint"]]
        command += [*app.get("ContainerArguments", []), "--root", str(root)]
        env = {**os.environ, **arguments.get("Environment", {}), **self.environment}
        limit = arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        completed = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=limit, check=False
        )
        failed = completed.returncode != 0
        for output in outputs:
            target = output["S3Output"]
            if not failed or target.get("S3UploadMode") == "Continuous":
                self._upload(root / target["LocalPath"].lstrip("/"), target["S3Uri"])
        if failed:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            raise StepFailedError(name, " | ".join(tail) or f"exit status {completed.returncode}")
        self.ran.append(name)

    def _done(self, uri: str) -> bool:
        bucket, key = s3_location(uri)
        listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=key + DONE_MARKER)
        return bool(listed.get("Contents"))

    def _download(self, uri: str, directory: Path) -> None:
        bucket, prefix = s3_location(uri)
        directory.mkdir(parents=True, exist_ok=True)
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :].lstrip("/")
                if not relative:
                    continue
                target = directory / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(
                    self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                )

    def _upload(self, directory: Path, uri: str) -> None:
        bucket, prefix = s3_location(uri)
        if not directory.is_dir():
            return
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if path.name.endswith(".partial"):
                continue  # a file being written (write_atomic's temporary)
            key = prefix.rstrip("/") + "/" + path.relative_to(directory).as_posix()
            self.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
