"""Build the OpenAPI document of the app `stratigos serve` runs and keep it on disk ahead of first
use (`python -m api.warm_openapi`; `make bytecode` runs it): every later server process reads it
instead of building it (`api.openapi_cache`). It writes the file whatever
`PYTHONDONTWRITEBYTECODE` says, as `compileall` writes bytecode."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from api.app import create_app
from api.contract import contract_openapi
from settings import Settings


def main() -> None:
    """Build and keep the document (the app on a throwaway data directory: its routes do not
    depend on the directory's contents)."""
    sys.dont_write_bytecode = False  # an explicit build, as compileall's
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(Settings(data_dir=Path(directory)))
        try:
            contract_openapi(app)
        finally:
            app.state.context.close()


if __name__ == "__main__":
    main()
