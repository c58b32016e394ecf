"""Executing a SageMaker pipeline definition's steps on this machine, as SageMaker would: the
definition is the program.

`LocalExecution(definition, s3, workdir).run(parameters)` resolves the parameters (given, else
their defaults), then runs each step once every step it depends on has run (`DependsOn` and
the steps its `Get`s read), in the order the definition lists them: a Condition step
evaluates its conditions and runs its `IfSteps` or `ElseSteps`; a Processing step runs one
container per instance (`InstanceCount`, `algo-1`, `algo-2`, ... at once, each told its place
in `opt/ml/config/resourceconfig.json`): its inputs downloaded from S3 into a directory laid
out as the container's filesystem, the container's entry point and arguments (`python` is
this interpreter; `--root` points the container at that directory) run with the step's
environment, its output uploaded to the step's S3 prefix (also when the step failed, for an
output uploaded `Continuous`ly: what a checkpointed step wrote before it failed is in S3, as
on SageMaker). Once an instance fails the others are stopped and the step fails, as a
processing job does.

A container whose entry point is `python -m MODULE` is forked from a warm interpreter
(`jobs.pipeline.warm_launcher`, one per `run`, started at the first such step with its
environment) that imported MODULE and the steps' code (`--steps-module`) once: still one
process per container, with the step's environment and arguments, without paying the imports
again for every step and instance; a caller running several executions may share one
launcher between them (`launcher`). `warm=False` (or a platform without `os.fork`) starts a
fresh interpreter per container instead.

With `resume=True`, a Processing step whose output prefix already holds its done marker is
not run again (what `RetryPipelineExecution` does with the steps that succeeded).
Used by the tests and for trying a definition without an AWS account (with any S3: moto's
server on loopback, or a bucket).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.entrypoint import RESOURCE_CONFIG
from jobs.pipeline import warm_launcher
from jobs.pipeline.sagemaker_definition import references
from jobs.pipeline.sagemaker_pipeline import s3_location
from jobs.pipeline.steps import DONE_MARKER

_Process = subprocess.Popen[str] | warm_launcher.WarmProcess
"""A running container: a new interpreter's process, or one forked by the warm launcher."""


def _option(arguments: Sequence[str], name: str) -> list[str]:
    """The value of option `name` in `arguments` (`[value]`, or `[]` when absent)."""
    if name in arguments[:-1]:
        return [arguments[arguments.index(name) + 1]]
    return []


class StepFailedError(RuntimeError):
    """A step of a locally executed definition failed; `step` names it."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"pipeline step {step!r} failed: {reason}")
        self.step = step


@dataclass
class LocalExecution:
    """One local execution of `definition` (see the module docstring). `s3`: a boto3 client;
    `workdir`: where the containers' filesystems go; `environment`: added to every step's;
    `warm`: fork `python -m` containers from a warm interpreter (module docstring);
    `launcher`: that interpreter, started and closed by the caller (None: one per `run`)."""

    definition: Mapping[str, Any]
    s3: Any
    workdir: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    warm: bool = True
    launcher: warm_launcher.WarmLauncher | None = None
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
        with contextlib.ExitStack() as launchers:
            self._launchers = launchers
            self._launcher = self.launcher
            self._run_steps(steps, settled, values, resume)
        return list(self.ran)

    def _run_steps(
        self, steps: list[Any], settled: set[str], values: Mapping[str, Any], resume: bool
    ) -> None:
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
        count = int(arguments["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
        if count < 1:
            raise StepFailedError(name, f"InstanceCount {count} is not a number of instances")
        hosts = [f"algo-{i + 1}" for i in range(count)]
        roots = [self.workdir / name / host for host in hosts]
        for host, root in zip(hosts, roots, strict=True):
            config = root / RESOURCE_CONFIG
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
            for item in arguments.get("ProcessingInputs", []):
                source = item["S3Input"]
                if source.get("S3DataDistributionType", "FullyReplicated") != "FullyReplicated":
                    raise StepFailedError(name, "only FullyReplicated inputs are executed here")
                self._download(source["S3Uri"], root / source["LocalPath"].lstrip("/"))
        app = arguments["AppSpecification"]
        command = [self.python if part == "python" else part for part in app["ContainerEntrypoint"]]
        command += app.get("ContainerArguments", [])
        env = {**os.environ, **arguments.get("Environment", {}), **self.environment}
        limit = arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        failures = self._run_instances(
            [[*command, "--root", str(root)] for root in roots], env, limit
        )
        for root in roots:  # every instance's output goes to the same prefix, as on SageMaker
            for output in outputs:
                target = output["S3Output"]
                if not failures or target.get("S3UploadMode") == "Continuous":
                    self._upload(root / target["LocalPath"].lstrip("/"), target["S3Uri"])
        if failures:
            raise StepFailedError(name, " | ".join(failures))
        self.ran.append(name)

    def _run_instances(
        self, commands: list[list[str]], env: Mapping[str, str], limit: float | None
    ) -> list[str]:
        """Run the instances' containers at once; once one fails, stop the others (as
        SageMaker fails the processing job). The failures' last lines of output, by
        instance (none when all succeeded)."""
        with tempfile.TemporaryDirectory(prefix="stratigos-containers-") as directory:
            logs = [Path(directory) / f"algo-{i + 1}.log" for i in range(len(commands))]
            running = [self._start(c, env, log) for c, log in zip(commands, logs, strict=True)]
            return self._wait_for_instances(running, logs, limit)

    def _start(self, command: list[str], env: Mapping[str, str], log: Path) -> _Process:
        """Start one container's `command`, its output to `log`: forked from the warm
        launcher for a `python -m` command (started at the first), else a new process."""
        parsed = warm_launcher.module_command(command, self.python)
        if parsed is not None and self.warm and warm_launcher.available():
            if self._launcher is None:
                module, arguments = parsed
                preload = [module, *_option(arguments, "--steps-module")]
                self._launcher = self._launchers.enter_context(
                    warm_launcher.WarmLauncher(self.python, preload, env)
                )
            return self._launcher.launch(command, env, log)
        with log.open("w") as output:
            return subprocess.Popen(
                command, env=dict(env), stdout=output, stderr=subprocess.STDOUT, text=True
            )

    @staticmethod
    def _wait_for_instances(
        running: Sequence[_Process], logs: Sequence[Path], limit: float | None
    ) -> list[str]:
        deadline = None if limit is None else time.monotonic() + float(limit)
        failures: list[str] = []
        try:
            while None in (statuses := [p.poll() for p in running]):
                failed = [status for status in statuses if status not in (None, 0)]
                late = deadline is not None and time.monotonic() > deadline
                if failed or late:
                    for process in running:
                        if process.poll() is None:
                            process.kill()
                    if late:
                        failures.append(f"stopped after MaxRuntimeInSeconds={limit}")
                    break
                time.sleep(0.05)
            for process in running:
                process.wait()
            for index, (process, log) in enumerate(zip(running, logs, strict=True)):
                if process.returncode == 0:
                    continue
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                host = f"algo-{index + 1}: " if len(running) > 1 else ""
                failures.append(host + (" | ".join(tail) or f"exit status {process.returncode}"))
        finally:
            for process in running:
                if process.poll() is None:
                    process.kill()
        return failures

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
