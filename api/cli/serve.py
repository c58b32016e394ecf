"""`stratigos serve`: the HTTP API and web UI with a job worker, one server process per core."""

from __future__ import annotations

import argparse


def serve_command(args: argparse.Namespace) -> int:
    from api.server import run_server, with_job_workers
    from settings import get_settings

    settings = get_settings()
    if args.workers_in_process is not None:
        settings = with_job_workers(settings, args.workers_in_process)
    run_server(args.host, args.port, settings, processes=args.workers)
    return 0
