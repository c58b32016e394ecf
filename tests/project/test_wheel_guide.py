"""An installed Stratigos answers questions about itself (issue 51): the wheel ships the
documentation pages (`build_docs.BuildWithGuide`: docs/*.md and README.md as
services/guide_docs/), so `search_guide` finds and cites them from the installed package, with
no checkout beside it.

Stratigos is installed as the images install it (`pip install --no-deps --no-build-isolation
--target`: pip builds the wheel and installs it, in one process) from a copy of the packaged
sources in a temporary directory (the checkout is not written to) into another, without
compiling every module ahead (`--no-compile`: the probe compiles the few it imports), and the
guide is run there in a fresh interpreter whose first path entry is that installation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "cdk.out", "guide_docs", "images")

PROBE = """
import json, sys
import services.guide as guide
from tools.guide import GuideArgs, search_guide_sections
found = search_guide_sections(GuideArgs(query=sys.argv[1], k=3))
print(json.dumps({
    "module": guide.__file__,
    "docs": str(guide.docs_dir()),
    "checkout_docs_exist": guide.CHECKOUT_DOCS.exists(),
    "pages": sorted(p.name for p in guide.docs_dir().glob("*.md")),
    "found": found,
}))
"""


def _packaged_sources(target: Path) -> None:
    """A copy of what a wheel is built from: the metadata, the build step, the pages and the
    packages pyproject.toml includes."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = config["tool"]["setuptools"]["packages"]["find"]["include"]
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "build_docs.py"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "docs", target / "docs", ignore=SKIPPED)
    for pattern in packages:
        name = pattern.rstrip("*")
        shutil.copytree(ROOT / name, target / name, ignore=SKIPPED)


@pytest.mark.slow
def test_an_installed_wheel_answers_questions_about_stratigos(tmp_path: Path) -> None:
    source, site = tmp_path / "src", tmp_path / "site"
    source.mkdir()
    _packaged_sources(source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "install"]
    pip += ["--no-cache-dir", "--no-deps", "--no-build-isolation", "--no-compile"]
    subprocess.run([*pip, "--target", str(site), str(source)], check=True, timeout=300)
    (wheel,) = site.glob("stratigos-*.dist-info/WHEEL")
    assert "Tag: py3-none-any" in wheel.read_text()  # pip built the wheel and installed it
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "can two strategies share a paper account?"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    found = json.loads(probe.stdout)
    installed = site / "services"
    assert Path(found["module"]).parent == installed  # the installed copy ran, not the checkout
    assert found["docs"] == str(installed / "guide_docs") and not found["checkout_docs_exist"]
    shipped = sorted([p.name for p in (ROOT / "docs").glob("*.md")] + ["README.md"])
    assert found["pages"] == shipped
    passages = found["found"]["passages"]
    citations = [p["citation"] for p in passages]
    assert '(docs/deployments.md, "Strategies sharing an account")' in citations
    sharing = next(p for p in passages if p["heading"] == "Strategies sharing an account")
    first = sharing["text"].split("\n\n")[0].removesuffix(" ...")
    page = (ROOT / "docs" / "deployments.md").read_text()
    assert " ".join(first.split()) in " ".join(page.split())  # quoted from the shipped page
