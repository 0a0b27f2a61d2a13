"""gunicorn hooks for the HTTP benchmark: warm each worker up before it takes requests.

Used as ``gunicorn --config python:benchmarks._gunicorn``. After a worker has loaded the app it
requests ``BENCH_WARM_PATHS`` (``|``-separated) in-process, so the search index, the model and
database connections are ready before the first measured request (a path that fails is only
reported), then leaves a file in ``BENCH_READY_DIR`` so the benchmark knows the worker is up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm this worker's app up in-process, then mark it ready."""
    client = worker.wsgi.test_client()
    for path in filter(None, os.environ.get("BENCH_WARM_PATHS", "/healthz").split("|")):
        response = client.get(path)
        if response.status_code != 200:  # e.g. an endpoint this version does not have yet
            print(f"warming {path} answered {response.status_code}", file=sys.stderr)
    ready = os.environ.get("BENCH_READY_DIR")
    if ready:
        Path(ready, f"worker-{os.getpid()}").touch()
