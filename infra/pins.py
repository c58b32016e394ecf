"""Pins of what the delivery pulls from outside: GitHub Actions by commit and container base
images by digest.

- Workflows (`.github/workflows/*.yml`): every `uses:` names a commit, with the release it is as
  a comment: `uses: actions/checkout@<40 hex> # v5.1.0`.
- Image recipes (`infra/docker/*.Dockerfile`): every `FROM` and `COPY --from=` image names its
  digest: `python:3.13-slim@sha256:<64 hex>`.

`python -m infra.pins check` lists what is not pinned (exit status 1 when anything is; the deploy
workflow runs it before building). `python -m infra.pins refresh` (online; `make pins`) moves each
action to the newest release of its major version (`git ls-remote` of its repository) and each
image to the digest its tag has now (the registry's HTTP API, anonymous pulls), rewriting the
files; review and commit the change.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
RECIPES = ROOT / "infra" / "docker"
_USES = re.compile(r"(?P<lead>uses:\s*)(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>[^\s#]+)(?P<rest>.*)$")
_PINNED_ACTION = re.compile(r"[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*$")
_IMAGE = re.compile(r"^(?P<lead>\s*(?:FROM\s+|COPY\s+--from=))(?P<image>[^\s@]+)(?P<digest>@\S+)?")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
MANIFESTS = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def unpinned_actions(text: str) -> list[str]:
    """The `uses:` of a workflow that do not name a commit with its release (local actions,
    `./...`, are ours)."""
    found = []
    for line in text.splitlines():
        match = _USES.search(line)
        if match and not _PINNED_ACTION.fullmatch(f"{match['ref']}{match['rest']}".strip()):
            found.append(f"{match['action']}@{match['ref']}")
    return found


def images(text: str) -> list[tuple[str, str | None]]:
    """The images a recipe pulls (`FROM`, `COPY --from=`) as (name:tag, digest or None),
    leaving out references to its own build stages."""
    stages = {
        line.split()[-1] for line in text.splitlines() if re.match(r"\s*FROM\s.+\sAS\s", line)
    }
    found = []
    for line in text.splitlines():
        match = _IMAGE.match(line)
        if match and match["image"] not in stages and not _STAGE_NAME.fullmatch(match["image"]):
            found.append((match["image"], match["digest"]))
    return found


def unpinned_images(text: str) -> list[str]:
    """The images of a recipe not pulled by digest."""
    return [name for name, digest in images(text) if not (digest and _DIGEST.fullmatch(digest))]


def check(root: Path = ROOT) -> list[str]:
    """Everything not pinned, as `<file>: <reference>`."""
    found = []
    for path in sorted((root / ".github" / "workflows").glob("*.yml")):
        found += [f"{path.relative_to(root)}: {a}" for a in unpinned_actions(path.read_text())]
    for path in sorted((root / "infra" / "docker").glob("*.Dockerfile")):
        found += [f"{path.relative_to(root)}: {i}" for i in unpinned_images(path.read_text())]
    return found


def newest_release(repository: str, current: str) -> tuple[str, str]:
    """(tag, commit) of the newest `vX.Y.Z` release of `repository` (owner/name on GitHub) with
    the major version of the release `current`, from `git ls-remote`."""
    major = current.split(".")[0]
    listed = subprocess.run(
        ["git", "ls-remote", "--tags", f"https://github.com/{repository}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    tags: dict[str, str] = {}
    for line in listed.splitlines():
        sha, ref = line.split("\t")
        tag = ref.removeprefix("refs/tags/")
        if tag.endswith("^{}"):  # an annotated tag's commit
            tags[tag[:-3]] = sha
        else:
            tags.setdefault(tag, sha)
    versions = [t for t in tags if re.fullmatch(rf"{re.escape(major)}\.\d+\.\d+", t)]
    if not versions:
        raise LookupError(f"{repository} has no release {major}.x.y")
    newest = max(versions, key=lambda t: tuple(int(p) for p in t[1:].split(".")))
    return newest, tags[newest]


def refresh_actions(text: str, release: Callable[[str, str], tuple[str, str]]) -> str:
    """`text` with each pinned action moved to `release(repository, tag)` (see the module)."""
    lines = []
    for line in text.splitlines(keepends=True):
        match = _USES.search(line)
        tag = re.search(r"#\s*(v[\d.]+)", line)
        if match and tag:
            repository = "/".join(match["action"].split("/")[:2])
            newest, sha = release(repository, tag.group(1))
            line = f"{line[: match.start()]}{match['lead']}{match['action']}@{sha} # {newest}\n"
        lines.append(line)
    return "".join(lines)


def image_digest(image: str) -> str:
    """The digest (`sha256:...`) the registry gives `image` (`name:tag`) now, by the registry
    HTTP API with an anonymous pull token."""
    name, _, tag = image.rpartition(":")
    host, _, path = name.partition("/")
    if "." not in host:  # Docker Hub
        host, path = "registry-1.docker.io", name if "/" in name else f"library/{name}"
    url = f"https://{host}/v2/{path}/manifests/{tag}"
    request = urllib.request.Request(url, method="HEAD", headers={"Accept": MANIFESTS})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return str(answer.headers["Docker-Content-Digest"])
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate", "") if exc.code == 401 else ""
        if not challenge:
            raise
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    token_url = f"{fields['realm']}?service={fields.get('service', '')}&scope={fields['scope']}"
    with urllib.request.urlopen(token_url, timeout=30) as answer:
        token = json.loads(answer.read())["token"]
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(answer.headers["Docker-Content-Digest"])


def refresh_images(text: str, digest: Callable[[str], str]) -> str:
    """`text` with each image pinned to `digest(name:tag)`."""
    pulled = {name for name, _ in images(text)}
    lines = []
    for line in text.splitlines(keepends=True):
        match = _IMAGE.match(line)
        if match and match["image"] in pulled:
            end = match.end()
            line = f"{match['lead']}{match['image']}@{digest(match['image'])}{line[end:]}"
        lines.append(line)
    return "".join(lines)


def refresh(paths: Iterable[Path]) -> None:
    """Refresh every pin of `paths` (workflows and recipes) in place."""
    for path in paths:
        text = path.read_text()
        if path.suffix == ".yml":
            path.write_text(refresh_actions(text, newest_release))
        else:
            path.write_text(refresh_images(text, image_digest))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m infra.pins", description=__doc__)
    parser.add_argument("command", choices=("check", "refresh"))
    args = parser.parse_args(argv)
    if args.command == "refresh":
        refresh([*sorted(WORKFLOWS.glob("*.yml")), *sorted(RECIPES.glob("*.Dockerfile"))])
    unpinned = check()
    for item in unpinned:
        print(f"not pinned: {item}", file=sys.stderr)
    return 1 if unpinned else 0


if __name__ == "__main__":
    sys.exit(main())
