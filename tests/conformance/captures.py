"""Where the real device captures live, and how conformance tests iterate over them.

The captures are read from ``$HARNESS_CAPTURES_DIR`` or ``../shared/captures`` relative to the
project root. They are never copied into this repository. When neither exists, every test that
needs them is skipped, so the project builds and passes without them.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def captures_dir() -> Path | None:
    env = os.environ.get("HARNESS_CAPTURES_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "captures")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@dataclass(frozen=True)
class Capture:
    path: Path
    kind: str
    api_level: str  # exact "33", inferred "~31", or "" when unknown
    vendor: str

    @property
    def name(self) -> str:
        return self.path.name

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


def _manifest(root: Path) -> dict[str, dict[str, str]]:
    manifest = root / "MANIFEST.tsv"
    if not manifest.exists():
        return {}
    with manifest.open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def capture_params(kind: str) -> list:
    """One ``pytest.param`` per capture file of ``kind``; a single skipped param when absent."""
    root = captures_dir()
    if root is None or not (root / kind).is_dir():
        return [pytest.param(None, id=f"{kind}-absent", marks=pytest.mark.skip(
            reason=f"captures not available (set HARNESS_CAPTURES_DIR); kind {kind}"))]
    meta = _manifest(root)
    params = []
    for path in sorted((root / kind).iterdir()):
        if not path.is_file():
            continue
        row = meta.get(f"{kind}/{path.name}", {})
        cap = Capture(path, kind, row.get("android_api", ""), row.get("device_vendor", ""))
        params.append(pytest.param(cap, id=path.name))
    return params
