"""Run every benchmark in turn, each printing Markdown tables.

    python -m benchmarks [--only NAME] [--quick]

A benchmark is a module of this package with a ``main`` function (helpers such as ``datasets``
have none). ``main(argv)`` gets ``["--quick"]`` or ``[]``; a ``main()`` without parameters runs
as ``python -m benchmarks.NAME`` would, and ignores ``--quick``. Results are also written as JSON
to ``benchmarks/results/`` (git-ignored). Data comes from ``../shared/data`` or ``$TIER0_DATA_SETS``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# tune_fusion first: quality adds a row for the tuned setting when it differs from the default.
FIRST = ("tune_fusion", "quality")


def benchmarks() -> dict[str, ModuleType]:
    """Every benchmark module, in run order."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "main", None)):
            found[info.name] = module
    order = [n for n in FIRST if n in found] + sorted(n for n in found if n not in FIRST)
    return {name: found[name] for name in order}


def run_one(name: str, main: Callable[..., Any], *, quick: bool) -> None:
    """Call a benchmark's ``main`` the way its own command line would."""
    if inspect.signature(main).parameters:
        main(["--quick"] if quick else [])
        return
    saved = sys.argv
    sys.argv = [f"benchmarks.{name}"]
    try:
        main()
    finally:
        sys.argv = saved


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the flags and run the chosen benchmarks in order."""
    found = benchmarks()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only", metavar="NAME[,NAME]", help=f"run just these, of: {', '.join(found)}"
    )
    parser.add_argument("--quick", action="store_true", help="fewer queries and coarser grids")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    chosen = args.only.split(",") if args.only else list(found)
    unknown = [name for name in chosen if name not in found]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(found)}")
    for name in chosen:
        started = time.perf_counter()
        run_one(name, found[name].main, quick=args.quick)
        print(f"\n_{name}: {time.perf_counter() - started:.0f} s_\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
