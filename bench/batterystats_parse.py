"""Parse throughput of the batterystats parsers on the real captures, against Battery Historian.

Usage::

    python bench/batterystats_parse.py [--repeat N] [--quick]

Reads the captures from ``$HARNESS_CAPTURES_DIR`` or ``../shared/captures`` (relative to the
project root) and prints MB/s per input class, with the ratio to Battery Historian's figures as
measured in the project's batterystats reference (Go, 2-core machine, in-process, warm):

- aggregate checkin parse: about 18 MB/s (0.5-2 MB synthetic aggregates);
- history parse: 2-3 MB/s (checkin-form histories), i.e. roughly 120-170k records/s.

Each input is parsed ``--repeat`` times in this warm process and the fastest run counts (the
machine's noise is one-sided); process start and ``import pandas, pyarrow`` are excluded, as in
the reference's measurement of Battery Historian. Two figures are given per class: *parse* (text
to typed columns and the event table; checkin tables are built on first access) and *full* (also
every checkin table, or every history timeline: battery, states and per-UID intervals).

Inputs:

- ``aggregate``: the aggregate lines of each ``batterystats_checkin`` capture (history removed);
- ``aggregate x10``: the same captures with their per-UID rows repeated under ten times as many
  UIDs (0.2-1 MB, the size range Battery Historian was measured on);
- ``checkin history``: the ``9,hsp`` / ``9,h`` lines of each ``batterystats_checkin`` capture;
- ``text history``: every ``batterystats_history`` capture (human-readable dumps);
- ``bugreport``: whole bugreports (locate both sections, parse both).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from harness.batterystats import (  # noqa: E402
    BugreportBatterystats,
    parse_any,
    parse_checkin,
    parse_history,
)
from harness.batterystats.text import normalize  # noqa: E402

BH_AGGREGATE_MB_S = 18.0
BH_HISTORY_MB_S = (2.0, 3.0)
BH_HISTORY_RECORDS_S = (
    118_000,
    168_000,
)  # Fishbonec 12.4k rec / 0.105 s .. IoanaMarin 62k / 0.37 s
GOAL = 3.0


def captures_dir() -> Path | None:
    env = os.environ.get("HARNESS_CAPTURES_DIR")
    for candidate in ([Path(env)] if env else []) + [PROJECT_ROOT.parent / "shared" / "captures"]:
        if candidate.is_dir():
            return candidate
    return None


@dataclass
class Result:
    name: str
    files: int = 0
    size: int = 0
    records: int = 0
    parse_s: float = 0.0
    full_s: float = 0.0

    def mb_s(self, seconds: float) -> float:
        return self.size / seconds / 1e6 if seconds else float("nan")


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best = float("inf")
    out: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def aggregate_text(text: str, scale: int = 1) -> str:
    """The aggregate lines of a checkin dump; with ``scale`` > 1 the per-UID rows repeated
    under new UIDs (app UIDs shifted by 2000 per copy, system UIDs moved into the app range)."""
    lines = [ln for ln in text.split("\n") if ln and not ln.startswith(("9,h,", "9,hsp,"))]
    if scale == 1:
        return "\n".join(lines)
    system, per_uid = [], []
    for ln in lines:
        parts = ln.split(",", 3)
        (system if len(parts) < 4 or parts[1] == "0" or parts[2] == "i" else per_uid).append(ln)
    out = list(system)
    for copy in range(scale):
        for ln in per_uid:
            prefix, uid, rest = ln.split(",", 2)
            u = int(uid)
            u = u + copy * 2000 if u >= 10_000 or copy == 0 else u + copy * 2000 + 50_000
            out.append(f"{prefix},{u},{rest}")
    return "\n".join(out)


def history_lines(text: str) -> str:
    return "\n".join(
        ln for ln in text.split("\n") if ln.startswith(("9,h,", "9,hsp,", "9,0,i,vers,"))
    )


def bench_aggregate(root: Path, repeat: int, scale: int) -> Result:
    res = Result(f"aggregate{'' if scale == 1 else f' x{scale}'}")
    for path in sorted((root / "batterystats_checkin").iterdir()):
        text = aggregate_text(normalize(path.read_bytes()), scale)
        if len(text) < 10_000:  # the 7-line excerpt has no aggregate
            continue
        res.files += 1
        res.size += len(text.encode())
        t_parse, _ = best_of(repeat, lambda t=text: parse_checkin(t, history=False))
        t_full, _ = best_of(repeat, lambda t=text: parse_checkin(t, history=False).tables())
        res.parse_s += t_parse
        res.full_s += t_full
    return res


def _history_full(text: str) -> object:
    h = parse_history(text)
    h.battery, h.states, h.intervals  # noqa: B018 - building the timelines is the point
    return h


def bench_history(name: str, inputs: list[str], repeat: int) -> Result:
    res = Result(name)
    for text in inputs:
        res.files += 1
        res.size += len(text.encode())
        t_parse, h = best_of(repeat, lambda t=text: parse_history(t))
        t_full, _ = best_of(repeat, lambda t=text: _history_full(t))
        res.records += h.record_count  # type: ignore[attr-defined]
        res.parse_s += t_parse
        res.full_s += t_full
    return res


def _bugreport_full(data: bytes) -> object:
    out = parse_any(data)
    assert isinstance(out, BugreportBatterystats)
    if out.checkin is not None:
        out.checkin.tables()
    for h in (out.history, out.dumpsys):
        if h is not None:
            h.battery, h.states, h.intervals  # noqa: B018
    return out


def bench_bugreports(root: Path, repeat: int) -> Result:
    res = Result("bugreport")
    for path in sorted((root / "bugreport").iterdir()):
        data = path.read_bytes()
        res.files += 1
        res.size += len(data)
        t_parse, _ = best_of(repeat, lambda d=data: parse_any(d))
        t_full, _ = best_of(repeat, lambda d=data: _bugreport_full(d))
        res.parse_s += t_parse
        res.full_s += t_full
    return res


# Battery Historian's median times on the very histories below (their checkin form, derived
# from these text dumps; batterystats reference, section 4.3). This library parses the text form,
# which is 3-5x larger for the same records.
BH_SAME_HISTORY_S = {
    "xiaomi-redmik80pro-longest.txt": (0.105, 0.105),  # Fishbonec batterystats4
    "emulator-2022.txt": (0.37, 0.43),  # IoanaMarin
    "motorola-2016.txt": (0.067, 0.070),  # tushargargght
    "samsung-2024.txt": (0.036, 0.036),  # emi
    "tcl-2018-4g-xjview-v1.txt": (0.022, 0.022),  # buptatx 4G_on_xj_view_v1
}


@dataclass
class SameHistory:
    name: str
    records: int
    parse_s: float
    full_s: float
    bh_s: tuple[float, float]


def bench_same_histories(root: Path, repeat: int) -> list[SameHistory]:
    out = []
    for name, bh in BH_SAME_HISTORY_S.items():
        path = root / "batterystats_history" / name
        if not path.exists():
            continue
        text = normalize(path.read_bytes())
        t_parse, h = best_of(repeat, lambda t=text: parse_history(t))
        t_full, _ = best_of(repeat, lambda t=text: _history_full(t))
        out.append(SameHistory(name, h.record_count, t_parse, t_full, bh))  # type: ignore[attr-defined]
    return out


def ratio(value: float, baseline: float | tuple[float, float]) -> str:
    if isinstance(baseline, tuple):
        lo, hi = baseline
        return f"{value / hi:4.1f}-{value / lo:.1f}x"
    return f"{value / baseline:4.1f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per input; the fastest counts")
    parser.add_argument("--quick", action="store_true", help="3 runs, no bugreports")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    root = captures_dir()
    if root is None:
        print(
            "batterystats captures not found: set HARNESS_CAPTURES_DIR or provide "
            f"{PROJECT_ROOT.parent / 'shared' / 'captures'}",
            file=sys.stderr,
        )
        return 2

    checkin_files = sorted((root / "batterystats_checkin").iterdir())
    checkin_histories = [
        h
        for h in (history_lines(normalize(p.read_bytes())) for p in checkin_files)
        if h.count("\n9,h,") > 10
    ]
    text_histories = [
        normalize(p.read_bytes()) for p in sorted((root / "batterystats_history").iterdir())
    ]
    results = [
        bench_aggregate(root, repeat, 1),
        bench_aggregate(root, repeat, 10),
        bench_history("checkin history", checkin_histories, repeat),
        bench_history("text history", text_histories, repeat),
    ]
    if not args.quick:
        results.append(bench_bugreports(root, max(2, repeat // 3)))
    same = bench_same_histories(root, repeat)

    print(f"captures: {root}   runs per input: {repeat} (fastest counts)")
    print("parse = text to typed columns / event table; full = also every checkin table, or the")
    print("history timelines (battery, states, per-UID intervals)")
    print()
    print(
        f"{'input':<17}{'files':>6}{'MB':>8}  {'parse MB/s':>10}  {'full MB/s':>9}  "
        f"{'vs BH (parse / full)':<26}{'records/s (full)':>17}"
    )
    for r in results:
        parse, full = r.mb_s(r.parse_s), r.mb_s(r.full_s)
        if r.name.startswith("aggregate"):
            vs = f"{ratio(parse, BH_AGGREGATE_MB_S)} / {ratio(full, BH_AGGREGATE_MB_S)}"
        elif r.name == "bugreport":
            # BH's analyzer needs 2.3-2.7 s per 41 MB bugreport (15-18 MB/s).
            vs = f"{ratio(full, (15.0, 18.0))} (analyzer)"
        else:
            vs = f"{ratio(parse, BH_HISTORY_MB_S)} / {ratio(full, BH_HISTORY_MB_S)}"
        rec = f"{r.records / r.full_s:,.0f}" if r.records else "-"
        print(
            f"{r.name:<17}{r.files:>6}{r.size / 1e6:>8.2f}  {parse:>10.1f}  {full:>9.1f}  "
            f"{vs:<26}{rec:>17}"
        )

    print()
    print("same histories Battery Historian was timed on (BH: checkin form; here: text form)")
    print(f"{'capture':<33}{'records':>8}{'parse ms':>10}{'full ms':>9}{'BH ms':>10}  vs BH (full)")
    for h in same:
        bh = f"{h.bh_s[0] * 1000:.0f}" + (
            "" if h.bh_s[0] == h.bh_s[1] else f"-{h.bh_s[1] * 1000:.0f}"
        )
        print(
            f"{h.name:<33}{h.records:>8}{h.parse_s * 1000:>10.1f}{h.full_s * 1000:>9.1f}{bh:>10}"
            f"  {h.bh_s[0] / h.full_s:.1f}-{h.bh_s[1] / h.full_s:.1f}x"
        )

    agg, agg10 = results[0], results[1]
    checkin, text = results[2], results[3]
    same_full = [h.bh_s[0] / h.full_s for h in same]
    checkin_ratio = min(
        checkin.mb_s(checkin.full_s) / BH_HISTORY_MB_S[1],
        checkin.records / checkin.full_s / BH_HISTORY_RECORDS_S[1],
    )
    print()
    print(f"goal: at least {GOAL:.0f}x Battery Historian")
    verdicts = [
        ("checkin-form history, full (worst of MB/s and records/s)", checkin_ratio),
        ("text-form history, full, MB/s", text.mb_s(text.full_s) / BH_HISTORY_MB_S[1]),
        ("same histories, full (worst capture)", min(same_full) if same_full else float("nan")),
        ("aggregate parse, 0.2-1 MB inputs (x10)", agg10.mb_s(agg10.parse_s) / BH_AGGREGATE_MB_S),
        ("aggregate parse, real captures (24-108 KB)", agg.mb_s(agg.parse_s) / BH_AGGREGATE_MB_S),
        ("aggregate + all 28 tables, x10", agg10.mb_s(agg10.full_s) / BH_AGGREGATE_MB_S),
        ("aggregate + all 28 tables, real captures", agg.mb_s(agg.full_s) / BH_AGGREGATE_MB_S),
    ]
    for label, value in verdicts:
        mark = "met" if value >= GOAL else "NOT met"
        print(f"  {label:<58}{value:5.1f}x  {mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
