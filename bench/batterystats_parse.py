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
  UIDs (0.2-1 MB);
- *aggregates at Battery Historian's sizes*: each capture's per-UID rows repeated until the
  aggregate is as large as one of the two synthetic aggregates Battery Historian was timed on
  (250 UIDs, 0.540 MB, 30-32 ms; 1000 UIDs, 2.019 MB, 105-119 ms), each compared with BH's
  time for that input scaled to the same size: the like-for-like aggregate figure;
- ``checkin history``: the ``9,hsp`` / ``9,h`` lines of each ``batterystats_checkin`` capture;
- ``text history``: every ``batterystats_history`` capture (human-readable dumps);
- ``bugreport``: whole bugreports (locate both sections, parse both).

The "same histories" section times the five text captures whose histories Battery Historian
was timed on. Battery Historian read them *converted to checkin history form* (the reference's
"derived checkin histories", 0.06-0.79 MB), which carries the same records in 3-5x fewer bytes
than the text form. So each capture is converted the same way once, outside the timing
(``bench/history_checkin_form.py``: short codes, string pool, time deltas; step details and OEM
keys dropped, clock read as UTC), and the parse of that checkin form is the like-for-like figure
the goal verdict uses. Its size is printed next to the size of Battery Historian's input; a
difference over 30% is flagged, as it would make the comparison weaker. The parse of the text
form is kept as an informational line: it is what a user with a text capture gets.
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

from bench.history_checkin_form import convert  # noqa: E402
from harness.batterystats import (  # noqa: E402
    BugreportBatterystats,
    parse_any,
    parse_checkin,
    parse_history,
)
from harness.batterystats.history_text import find_history_block  # noqa: E402
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


# Battery Historian's checkin-mode times on its two synthetic aggregates (reference, 4.3):
# size in MB, median seconds (low, high).
BH_AGGREGATES = {"250 UIDs": (0.540, (0.030, 0.032)), "1000 UIDs": (2.019, (0.105, 0.119))}


def scaled_to(text: str, target_bytes: int) -> tuple[str, int]:
    """The aggregate of a checkin dump with its per-UID rows repeated until it is at least
    ``target_bytes`` long (the fewest copies that get there), and the number of copies."""
    one, two = (len(aggregate_text(text, k).encode()) for k in (1, 2))
    per_copy = max(two - one, 1)
    scale = max(1, -(-(target_bytes - one) // per_copy) + 1)
    while scale > 1 and len(aggregate_text(text, scale - 1).encode()) >= target_bytes:
        scale -= 1
    while len((out := aggregate_text(text, scale)).encode()) < target_bytes:
        scale += 1
    return out, scale


@dataclass
class SizedAggregate:
    capture: str
    bh_input: str
    scale: int
    mb: float
    parse_s: float
    full_s: float

    def bh_s(self) -> tuple[float, float]:
        """BH's time for its input of this name, scaled to this input's size."""
        mb, (lo, hi) = BH_AGGREGATES[self.bh_input]
        return lo * self.mb / mb, hi * self.mb / mb

    def vs_bh(self, seconds: float) -> tuple[float, float]:
        lo, hi = self.bh_s()
        return lo / seconds, hi / seconds


def bench_sized_aggregates(root: Path, repeat: int) -> list[SizedAggregate]:
    out = []
    for path in sorted((root / "batterystats_checkin").iterdir()):
        raw = normalize(path.read_bytes())
        if len(aggregate_text(raw)) < 10_000:  # the 7-line excerpt has no aggregate
            continue
        for bh_input, (mb, _) in BH_AGGREGATES.items():
            text, scale = scaled_to(raw, int(mb * 1e6))
            t_parse, _ = best_of(repeat, lambda t=text: parse_checkin(t, history=False))
            t_full, _ = best_of(repeat, lambda t=text: parse_checkin(t, history=False).tables())
            size = len(text.encode()) / 1e6
            out.append(SizedAggregate(path.name, bh_input, scale, size, t_parse, t_full))
    return out


def print_sized_aggregates(sized: list[SizedAggregate]) -> None:
    print("aggregates at the sizes Battery Historian was timed on (like for like): each capture")
    print("repeated to the size of BH's synthetic 250- and 1000-UID aggregates")
    print(
        f"{'capture':<28}{'as BH input':>12}{'copies':>7}{'MB':>7}{'parse ms':>10}{'full ms':>9}"
        f"{'BH ms':>9}  vs BH (parse / full)"
    )
    for a in sized:
        lo, hi = a.bh_s()
        bh_ms = f"{lo * 1000:.0f}-{hi * 1000:.0f}"
        p_lo, p_hi = a.vs_bh(a.parse_s)
        f_lo, f_hi = a.vs_bh(a.full_s)
        print(
            f"{a.capture:<28}{a.bh_input:>12}{a.scale:>7}{a.mb:>7.3f}{a.parse_s * 1000:>10.1f}"
            f"{a.full_s * 1000:>9.1f}{bh_ms:>9}  {p_lo:.1f}-{p_hi:.1f}x / {f_lo:.1f}-{f_hi:.1f}x"
        )


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
# from these text dumps; batterystats reference, section 4.3).
BH_SAME_HISTORY_S = {
    "xiaomi-redmik80pro-longest.txt": (0.105, 0.105),  # Fishbonec batterystats4
    "emulator-2022.txt": (0.37, 0.43),  # IoanaMarin
    "motorola-2016.txt": (0.067, 0.070),  # tushargargght
    "samsung-2024.txt": (0.036, 0.036),  # emi
    "tcl-2018-4g-xjview-v1.txt": (0.022, 0.022),  # buptatx 4G_on_xj_view_v1
}
# Size in MB of the checkin-form input Battery Historian read for each (same section).
BH_SAME_HISTORY_MB = {
    "xiaomi-redmik80pro-longest.txt": 0.313,
    "emulator-2022.txt": 0.788,
    "motorola-2016.txt": 0.147,
    "samsung-2024.txt": 0.101,
    "tcl-2018-4g-xjview-v1.txt": 0.058,
}
# Beyond this relative size difference the converted input is not the one BH read.
SIZE_TOLERANCE = 0.30


@dataclass
class FormTiming:
    """Our parse of one form of a history."""

    mb: float
    records: int
    parse_s: float
    full_s: float


@dataclass
class SameHistory:
    name: str
    bh_s: tuple[float, float]
    bh_mb: float
    text: FormTiming
    text_history_mb: float  # the history block of the text dump, without the statistics
    checkin: FormTiming
    dropped_tokens: int  # OEM keys without a short code
    dropped_details: int  # step-detail lines

    @property
    def size_off(self) -> float:
        """Relative difference of the converted size from BH's input size."""
        return self.checkin.mb / self.bh_mb - 1


def _time_form(text: str, repeat: int) -> FormTiming:
    t_parse, h = best_of(repeat, lambda: parse_history(text))
    t_full, _ = best_of(repeat, lambda: _history_full(text))
    return FormTiming(len(text.encode()) / 1e6, h.record_count, t_parse, t_full)  # type: ignore[attr-defined]


def bench_same_histories(root: Path, repeat: int) -> list[SameHistory]:
    out = []
    for name, bh in BH_SAME_HISTORY_S.items():
        path = root / "batterystats_history" / name
        if not path.exists():
            continue
        text = normalize(path.read_bytes())
        conv = convert(text)  # once, outside the timing, as BH's inputs were made beforehand
        out.append(
            SameHistory(
                name,
                bh,
                BH_SAME_HISTORY_MB[name],
                text=_time_form(text, repeat),
                text_history_mb=len((find_history_block(text) or "").encode()) / 1e6,
                checkin=_time_form(conv.text, repeat),
                dropped_tokens=conv.dropped_tokens,
                dropped_details=conv.dropped_details,
            )
        )
    return out


def _bh_ms(h: SameHistory) -> str:
    lo, hi = h.bh_s
    return f"{lo * 1000:.0f}" + ("" if lo == hi else f"-{hi * 1000:.0f}")


def _vs_bh(h: SameHistory, seconds: float) -> str:
    return f"{h.bh_s[0] / seconds:.1f}-{h.bh_s[1] / seconds:.1f}x"


def print_same_histories(same: list[SameHistory]) -> None:
    print("same histories Battery Historian was timed on (BH read them in checkin form)")
    print("like for like: the same histories converted to checkin form (outside the timing)")
    print(
        f"{'capture':<33}{'records':>8}{'BH MB':>7}{'our MB':>8}{'parse ms':>10}{'full ms':>9}"
        f"{'BH ms':>9}  vs BH (full)"
    )
    for h in same:
        c = h.checkin
        print(
            f"{h.name:<33}{c.records:>8}{h.bh_mb:>7.3f}{c.mb:>8.3f}{c.parse_s * 1000:>10.1f}"
            f"{c.full_s * 1000:>9.1f}{_bh_ms(h):>9}  {_vs_bh(h, c.full_s)}"
        )
    off = [h for h in same if abs(h.size_off) > SIZE_TOLERANCE]
    for h in off:
        print(
            f"  WARNING: {h.name}: converted size differs from BH's input by {h.size_off:+.0%}; "
            "the comparison is weaker"
        )
    for h in same:
        if h.checkin.records != h.text.records:
            print(f"  WARNING: {h.name}: {h.checkin.records} records converted of {h.text.records}")
    if same and not off:
        worst = max(abs(h.size_off) for h in same)
        print(f"  converted sizes within {worst:.1%} of BH's inputs")
    dropped = [h for h in same if h.dropped_tokens or h.dropped_details]
    if dropped:
        print(
            "  dropped by the conversion (OEM tokens / step-detail lines): "
            + ", ".join(f"{h.name} {h.dropped_tokens}/{h.dropped_details}" for h in dropped)
        )
    print()
    print("text form of the same histories (what a user with a text capture gets): the whole")
    print("dump is parsed; its history block alone is 3-5x the bytes of BH's input")
    print(
        f"{'capture':<33}{'records':>8}{'MB':>7}{'hist MB':>8}{'x BH':>6}{'parse ms':>10}"
        f"{'full ms':>9}{'BH ms':>9}  vs BH (full)"
    )
    for h in same:
        t = h.text
        print(
            f"{h.name:<33}{t.records:>8}{t.mb:>7.3f}{h.text_history_mb:>8.3f}"
            f"{h.text_history_mb / h.bh_mb:>6.1f}{t.parse_s * 1000:>10.1f}"
            f"{t.full_s * 1000:>9.1f}{_bh_ms(h):>9}  {_vs_bh(h, t.full_s)}"
        )


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
    sized = bench_sized_aggregates(root, repeat)

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
    print_sized_aggregates(sized)
    print()
    print_same_histories(same)

    agg, agg10 = results[0], results[1]
    checkin, text = results[2], results[3]
    same_checkin = [h.bh_s[0] / h.checkin.full_s for h in same]
    same_text = [h.bh_s[0] / h.text.full_s for h in same]
    checkin_ratio = min(
        checkin.mb_s(checkin.full_s) / BH_HISTORY_MB_S[1],
        checkin.records / checkin.full_s / BH_HISTORY_RECORDS_S[1],
    )
    print()
    print(f"goal: at least {GOAL:.0f}x Battery Historian")
    verdicts = [
        ("checkin-form history, full (worst of MB/s and records/s)", checkin_ratio),
        ("text-form history, full, MB/s", text.mb_s(text.full_s) / BH_HISTORY_MB_S[1]),
        (
            "same histories, checkin form (like for like), full (worst)",
            min(same_checkin) if same_checkin else float("nan"),
        ),
        (
            "aggregate parse at BH's input sizes (worst)",
            min((a.vs_bh(a.parse_s)[0] for a in sized), default=float("nan")),
        ),
        (
            "aggregate + all 28 tables at BH's input sizes (worst)",
            min((a.vs_bh(a.full_s)[0] for a in sized), default=float("nan")),
        ),
        ("aggregate parse, 0.2-1 MB inputs (x10)", agg10.mb_s(agg10.parse_s) / BH_AGGREGATE_MB_S),
        ("aggregate parse, real captures (24-108 KB)", agg.mb_s(agg.parse_s) / BH_AGGREGATE_MB_S),
        ("aggregate + all 28 tables, x10", agg10.mb_s(agg10.full_s) / BH_AGGREGATE_MB_S),
        ("aggregate + all 28 tables, real captures", agg.mb_s(agg.full_s) / BH_AGGREGATE_MB_S),
    ]
    for label, value in verdicts:
        mark = "met" if value >= GOAL else "NOT met"
        print(f"  {label:<58}{value:5.1f}x  {mark}")
    if same_text:
        # Not a like-for-like comparison (3-5x the bytes BH read), so no verdict.
        label = "same histories, text form, full (worst; informational)"
        print(f"  {label:<58}{min(same_text):5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
