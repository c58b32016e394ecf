"""The wheel's build step that ships Stratigos's documentation with the package: the pages the
assistant answers questions about Stratigos from (`services.guide`: `docs/*.md` and
`README.md`) are copied into the built package as `services/guide_docs/`, so an installed
Stratigos (a wheel, the container images) answers them as a checkout does.

pyproject.toml names `BuildWithGuide` as setuptools' `build_py` command; MANIFEST.in keeps this
file and the pages in the source distribution.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
"""The checkout (or unpacked source distribution) being built."""
GUIDE_PACKAGE_DIR = ("services", "guide_docs")
"""Where the pages go inside the built packages (`services.guide.BUNDLED_DOCS`)."""


def guide_pages(root: Path = ROOT) -> list[Path]:
    """The pages the guide reads: every markdown page of `docs/`, and the README."""
    pages = sorted((root / "docs").glob("*.md"))
    readme = root / "README.md"
    return [*pages, readme] if readme.is_file() else pages


class BuildWithGuide(build_py):
    """setuptools' `build_py`, then the guide's pages copied into the built `services`."""

    def run(self) -> None:
        super().run()
        pages = guide_pages()
        if not pages:
            raise RuntimeError(f"no documentation pages under {ROOT / 'docs'} to ship")
        target = Path(self.build_lib).joinpath(*GUIDE_PACKAGE_DIR)
        target.mkdir(parents=True, exist_ok=True)
        for page in pages:
            shutil.copyfile(page, target / page.name)
