"""``harness run``: the device scenario suite (on a virtual device unless told otherwise)."""

from __future__ import annotations

import argparse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="run the device scenario suite and print a per-device summary",
        description="Runs the scenario suite (tests/device) with pytest. Without --serial it "
                    "starts a virtual device; extra arguments go to pytest "
                    "(e.g. harness run -- --serial R58M123 -k doze).")
    p.add_argument("--suite", type=Path, default=None,
                   help="scenario folder (default: tests/device of this checkout)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER,
                   help="arguments passed to pytest after --")
    p.set_defaults(func=cmd_run)


def find_suite(explicit: Path | None) -> Path:
    for candidate in [explicit, Path.cwd() / "tests" / "device", REPO_ROOT / "tests" / "device"]:
        if candidate is not None and candidate.is_dir():
            return candidate
    raise SystemExit("harness run: no scenario suite found (tests/device); pass --suite PATH")


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    extra = [a for a in args.pytest_args if a != "--"]
    suite = find_suite(args.suite)
    return int(pytest.main([str(suite), "-q", "-rfE", *extra]))
