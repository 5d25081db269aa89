"""``harness batterystats parse FILE --out DIR``: frames and a report of a capture taken by hand.

FILE is ``dumpsys batterystats -c`` output, a ``--history`` or full text dump, or a whole
bugreport (``.txt`` or ``.zip``); ``-`` reads standard input. DIR gets the capture folder
(``batterystats/capture/<name>/``: raw text, Parquet frames, ``meta.json``) and
``report.html``.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

from harness.batterystats import detect_kind, locate_in_bugreport
from harness.report import SAMPLE_PACKAGE, build_report, safe_name, write_capture


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("batterystats", help="batterystats captures taken by hand")
    commands = p.add_subparsers(dest="batterystats_command", metavar="COMMAND")
    commands.required = True
    parse = commands.add_parser(
        "parse",
        help="parse a checkin dump, a history or a bugreport into Parquet frames and a report",
    )
    parse.add_argument("file", help="the capture (.txt or bugreport .zip), or - for stdin")
    parse.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for the frames and report.html")
    parse.add_argument("--keep-personal-data", action="store_true",
                       help="keep account names and e-mail addresses (redacted by default)")
    parse.add_argument("--app", default=SAMPLE_PACKAGE, metavar="PACKAGE",
                       help=f"the app whose power cost the report shows (default "
                            f"{SAMPLE_PACKAGE})")
    parse.add_argument("--quiet", action="store_true", help="no progress output")
    parse.set_defaults(func=cmd_parse)


class Progress:
    """Parse progress on stderr: a redrawn line on a terminal, every 10 % otherwise."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._last_step = -1
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        pct = min(100, 100 * done // total)
        step = pct // 10
        if self.tty:
            sys.stderr.write(f"\r{self.label}: {pct:3d}%")
            if pct >= 100:
                sys.stderr.write(f" ({time.monotonic() - self._started:.1f}s)\n")
        elif step != self._last_step:
            sys.stderr.write(f"{self.label}: {pct}%\n")
        self._last_step = step
        sys.stderr.flush()


def _read(file: str) -> tuple[bytes, str]:
    if file == "-":
        return sys.stdin.buffer.read(), "stdin"
    path = Path(file)
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        # A bugreport zip: its main entry is bugreport-*.txt.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist()
                     if Path(n).name.startswith("bugreport") and n.endswith(".txt")]
            if not names:
                raise SystemExit(f"harness batterystats: no bugreport-*.txt in {file}")
            data = archive.read(sorted(names, key=len)[0])
    return data, path.stem


def cmd_parse(args: argparse.Namespace) -> int:
    data, stem = _read(args.file)
    kind = detect_kind(data)
    checkin: str | None = None
    history: str | None = None
    if kind == "bugreport":
        sections = locate_in_bugreport(data)
        checkin = sections.checkin.text if sections.checkin is not None else None
        history = sections.dumpsys.text if sections.dumpsys is not None else None
    else:
        text = data.decode("utf-8", errors="replace")
        if kind == "checkin":
            checkin = text
        else:
            history = text
    folder = args.out / "batterystats" / "capture" / safe_name(stem)
    meta = {
        "serial": "capture",
        "test": safe_name(stem),
        "nodeid": Path(args.file).name if args.file != "-" else "stdin",
        "source": str(args.file),
        "kind": kind,
    }
    capture = write_capture(
        folder, checkin, history, meta, keep_personal_data=args.keep_personal_data,
        progress=Progress(f"parsing {meta['nodeid']} ({kind})", not args.quiet),
    )
    report = build_report(args.out, args.app, title=f"Power report · {meta['nodeid']}")
    for warning in capture.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"frames: {folder} ({', '.join(sorted(capture.frames)) or 'none'})")
    print(f"report: {report}")
    return 0
