"""``harness parse KIND FILE``: what a parser reads from a capture, as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.android import registry


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("parse", help="parse a captured dumpsys/getprop output into JSON")
    p.add_argument("kind", choices=registry.kinds())
    p.add_argument("file", type=Path, help="capture file, or - for stdin")
    p.set_defaults(func=cmd_parse)


def cmd_parse(args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    result = registry.parse_to_json(args.kind, data)
    json.dump(result, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")
    return 0
