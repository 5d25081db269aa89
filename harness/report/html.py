"""``report.html``: one self-contained page per run (inline CSS and SVG, works offline).

The page declares a Content-Security-Policy that forbids every fetch, and a few lines of inline
script record on ``<body>`` how many resources were loaded, how many requests the policy
blocked and how many plots were drawn; a headless browser can read them back (the report's own
test does).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import pandas as pd

from harness.report.capture import CaptureFrames
from harness.report.metrics import app_uids
from harness.report.run import RunData
from harness.report.svg import Lane, Span, bar_chart, esc, timeline

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;
background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde;
padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#556;margin-bottom:12px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #dde;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #dde;padding:3px 8px;text-align:right}th{background:#f3f4f8}
td.t,th.t{text-align:left}tr.fail td{background:#fdecec}
td.t{max-width:460px;overflow-wrap:anywhere}.wide{overflow-x:auto;max-width:100%}
.note{color:#556;font-size:12px}
svg.plot{display:block;margin:6px 0 14px;font-size:11px}
svg .frame,svg .lane{fill:#f7f8fb;stroke:#dde}svg .grid{stroke:#e6e8ef}
svg .axis{fill:#667;font-size:10px}svg .lbl{fill:#1d2330;font-size:11px}
svg .level{fill:none;stroke:#2b6cb0;stroke-width:2}
svg .edge{stroke:#9aa;stroke-dasharray:3 3}
svg .doze-light{fill:#9ad0f5}svg .doze-deep{fill:#2c5282}svg .screen{fill:#f6c343}
svg .saver{fill:#a0aec0}svg .charging{fill:#68d391}
svg .job{fill:#b5bccb}svg .job-app{fill:#dd6b20}svg .wl{fill:#b5bccb}svg .wl-app{fill:#805ad5}
svg .tick{stroke-width:2}svg .alarm{stroke:#718096}svg .alarm-app{stroke:#e53e3e}
svg .s0{fill:#dd6b20}svg .s1{fill:#2b6cb0}svg .s2{fill:#38a169}svg .s3{fill:#805ad5}
svg .s4{fill:#d69e2e}svg .s5{fill:#718096}
"""

SELF_CHECK = """
(function(){var blocked=0;
document.addEventListener('securitypolicyviolation',function(){blocked++;
document.body.setAttribute('data-blocked-requests',String(blocked));});
window.addEventListener('load',function(){var b=document.body;
b.setAttribute('data-resources',String(performance.getEntriesByType('resource').length));
b.setAttribute('data-blocked-requests',String(blocked));
b.setAttribute('data-plots',String(document.querySelectorAll('svg.plot').length));
b.setAttribute('data-rendered','yes');});})();
"""


def _fmt_ms(ms: float | None) -> str:
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return "–"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def _fmt(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return esc(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], left: int = 1,
           row_class: Sequence[str] | None = None) -> str:
    out = ['<div class="wide"><table><tr>']
    out += [f'<th class="{"t" if i < left else ""}">{esc(h)}</th>' for i, h in enumerate(headers)]
    out.append("</tr>")
    for r, row in enumerate(rows):
        css = f' class="{row_class[r]}"' if row_class and row_class[r] else ""
        out.append(f"<tr{css}>")
        out += [f'<td class="{"t" if i < left else ""}">{v if isinstance(v, str) else _fmt(v)}</td>'
                for i, v in enumerate(row)]
        out.append("</tr>")
    out.append("</table></div>")
    return "".join(out)


# -- sections -----------------------------------------------------------------------------------


def _outcomes(run: RunData) -> dict[tuple[str, str], str]:
    res = run.results
    if not len(res) or "nodeid" not in res.columns:
        return {}
    return {(str(r.serial), str(r.nodeid)): str(r.outcome) for r in res.itertuples()}


def _summary(run: RunData) -> str:
    res = run.results
    counts = {k: 0 for k in ("passed", "failed", "skipped", "error")}
    if len(res) and "outcome" in res.columns:
        for outcome, n in res["outcome"].value_counts().items():
            counts[str(outcome)] = int(n)
    m = run.metrics
    app = pd.to_numeric(m["app_mah"], errors="coerce") if len(m) else pd.Series(dtype=float)
    app_text = "–" if app.isna().all() else f"{app.sum():.3g} mAh"
    battery = pd.to_numeric(m["battery_ms"], errors="coerce").sum() if len(m) else 0
    personal = {str(c.meta.get("personal_data", "redacted")) for c in run.captures}
    cards = [
        ("devices", len(run.serials)),
        ("tests", sum(counts.values()) or len({c.nodeid for c in run.captures})),
        ("passed / failed", f"{counts['passed']} / {counts['failed'] + counts['error']}"),
        ("captures", len(run.captures)),
        ("time on battery", _fmt_ms(float(battery))),
        (f"{run.package} energy", app_text),
    ]
    out = ['<h2 id="summary">Summary</h2><div class="cards">']
    out += [f'<div class="card"><b>{esc(v)}</b>{esc(k)}</div>' for k, v in cards]
    out.append("</div>")
    note = ("personal data kept (account names and e-mail addresses are not redacted)"
            if "kept" in personal else
            "account names and e-mail addresses in batterystats are redacted")
    out.append(f'<p class="note">Batterystats: {esc(note)}.</p>')
    rows = []
    for serial in run.serials:
        info = run.device_info(serial)
        dm = m[m["serial"] == serial] if len(m) else m
        rows.append([
            esc(serial),
            esc(f"{info.get('manufacturer', '')} {info.get('model', '')}".strip() or "–"),
            info.get("api_level", "–"),
            esc(info.get("virtual_profile") or info.get("profile") or "–"),
            len(dm),
            _fmt_ms(float(pd.to_numeric(dm["battery_ms"], errors="coerce").sum()) if len(dm)
                    else 0.0),
            int(pd.to_numeric(dm["discharge_pct"], errors="coerce").sum()) if len(dm) else 0,
        ])
    out.append(_table(["device", "model", "API", "profile", "captures", "on battery",
                       "discharge %"], rows, left=2))
    return "".join(out)


def _level_points(capture: CaptureFrames) -> list[tuple[float, float]]:
    battery = capture.get("history_battery")
    if not len(battery) or "level_pct" not in battery.columns:
        return []
    b = battery[["time_ms", "level_pct"]].dropna()
    return [(float(t), float(v)) for t, v in zip(b["time_ms"], b["level_pct"], strict=True)]


def _spans(frame: pd.DataFrame, css: str, label: str) -> list[Span]:
    out = []
    for r in frame.itertuples():
        start, end = r.start_ms, r.end_ms
        if pd.isna(start):
            continue
        end = start if pd.isna(end) else end
        title = f"{label} {_fmt_ms(float(end - start))}"
        out.append(Span(float(start), float(end), css, title))
    return out


def _device_timeline(run: RunData, serial: str) -> str:
    pairs = [(ref, cap) for ref, cap in zip(run.captures, run.loaded, strict=True)
             if ref.serial == serial]
    if not pairs:
        return '<p class="note">No batterystats captures for this device.</p>'
    level: list[tuple[float, float]] = []
    lanes = {name: Lane(name) for name in ("doze", "screen", "saver", "charging", "jobs",
                                          "wakelocks")}
    lanes["alarms"] = Lane("alarms", ticks=True)
    boundaries: list[tuple[float, str]] = []
    t_min, t_max = math.inf, -math.inf
    for ref, cap in pairs:
        points = _level_points(cap)
        level += points
        uids = set(app_uids(cap, run.package))
        states = cap.get("history_states")
        intervals = cap.get("history_intervals")
        for frame in (states, intervals):
            if len(frame):
                t_min = min(t_min, float(frame["start_ms"].min()))
                t_max = max(t_max, float(frame["end_ms"].max()))
        if points:
            t_min, t_max = min(t_min, points[0][0]), max(t_max, points[-1][0])
        start = points[0][0] if points else ref.meta.get("started_ms")
        if start is not None:
            boundaries.append((float(start), ref.nodeid))
        if len(states):
            names = states["name"].astype("string")
            values = states["value"].astype("string")
            for value, css in (("light", "doze-light"), ("full", "doze-deep")):
                lanes["doze"].spans += _spans(states[(names == "device_idle") & (values == value)],
                                              css, f"Doze {value}")
            lanes["screen"].spans += _spans(states[(names == "screen") & (values == "on")],
                                            "screen", "screen on")
            lanes["saver"].spans += _spans(states[(names == "power_save") & (values == "on")],
                                           "saver", "battery saver")
            lanes["charging"].spans += _spans(states[(names == "plugged") & (values == "on")],
                                              "charging", "plugged in")
        if len(intervals):
            kind = intervals["kind"].astype("string")
            mine = intervals["uid"].isin(uids).fillna(False).astype(bool)
            for r, own in zip(intervals[kind == "job"].itertuples(),
                              mine[kind == "job"], strict=True):
                if pd.isna(r.start_ms):
                    continue
                end = r.start_ms if pd.isna(r.end_ms) else r.end_ms
                took = _fmt_ms(float(end - r.start_ms))
                lanes["jobs"].spans.append(Span(float(r.start_ms), float(end),
                                                "job-app" if own else "job",
                                                f"job {r.name} ({took})"))
            wl = kind.isin(["wakelock", "wakelock_held"])
            for r, own in zip(intervals[wl].itertuples(), mine[wl], strict=True):
                if pd.isna(r.start_ms) or (not pd.isna(r.uid) and r.uid == -1):
                    continue
                end = r.start_ms if pd.isna(r.end_ms) else r.end_ms
                lanes["wakelocks"].spans.append(Span(float(r.start_ms), float(end),
                                                     "wl-app" if own else "wl",
                                                     f"wakelock {r.name}"))
            for r, own in zip(intervals[kind == "alarm"].itertuples(),
                              mine[kind == "alarm"], strict=True):
                if pd.isna(r.start_ms):
                    continue
                lanes["alarms"].spans.append(Span(float(r.start_ms), float(r.start_ms),
                                                  "alarm-app" if own else "alarm",
                                                  f"alarm {r.name}"))
    if not math.isfinite(t_min):
        starts = [float(r.meta.get("started_ms") or 0) for r, _ in pairs]
        ends = [float(r.meta.get("finished_ms") or 0) for r, _ in pairs]
        t_min, t_max = min(starts), max(ends)
    level.sort()
    order = ["doze", "screen", "saver", "charging", "jobs", "alarms", "wakelocks"]
    return timeline(f"{serial}: battery level, Doze, jobs, alarms and wakelocks", t_min, t_max,
                    level, [lanes[n] for n in order], boundaries)


def _timelines(run: RunData) -> str:
    out = ['<h2 id="timelines">Timelines per device</h2>',
           f'<p class="note">Orange/red/purple: {esc(run.package)}; grey: other apps. Dashed '
           f"lines: test starts (hover for names). Times are UTC.</p>"]
    for serial in run.serials:
        out.append(f"<h3>{esc(serial)}</h3>")
        out.append(_device_timeline(run, serial))
    return "".join(out)


def _per_test(run: RunData) -> str:
    m = run.metrics
    out = ['<h2 id="tests">Power cost per test</h2>',
           f'<p class="note">{esc(run.package)}: estimated energy from the device\'s power '
           "estimate (pwi) where it prints one; jobs, alarms and wakelocks as batterystats "
           "counts them on battery (wakelocks and wakeup alarms with the screen off), and job "
           "runs from the history.</p>"]
    if not len(m):
        out.append('<p class="note">No batterystats captures in this run.</p>')
        return "".join(out)
    outcomes = _outcomes(run)
    rows, classes = [], []
    for r in m.itertuples():
        outcome = outcomes.get((r.serial, r.nodeid), "")
        classes.append("fail" if outcome in ("failed", "error") else "")
        rows.append([esc(r.nodeid), esc(r.serial), esc(outcome or "–"), _fmt_ms(r.duration_ms),
                     _fmt_ms(r.battery_ms), r.discharge_pct,
                     None if pd.isna(r.app_mah) else float(r.app_mah),
                     f"{r.app_jobs} / {_fmt_ms(r.app_job_ms)}",
                     f"{r.app_job_runs} / {_fmt_ms(r.app_job_run_ms)}",
                     f"{r.app_alarms} / {r.app_alarm_events}",
                     f"{r.app_wakelocks} / {_fmt_ms(r.app_wakelock_ms)}",
                     float(r.wakeups_per_hour)])
    out.append(_table(["test", "device", "outcome", "duration", "on battery", "discharge %",
                       "app mAh", "jobs (jb)", "job runs (history)", "alarms (wua / Eal)",
                       "wakelocks", "wakeups/h"], rows, left=3, row_class=classes))
    tests = list(dict.fromkeys(m["nodeid"]))
    series = []
    for serial in dict.fromkeys(m["serial"]):
        mine = m[m["serial"] == serial]
        energy = pd.to_numeric(mine["app_mah"], errors="coerce").groupby(mine["nodeid"]).sum(
            min_count=1
        )
        values: list[float | None] = []
        for t in tests:
            v = energy.get(t)
            values.append(None if v is None or pd.isna(v) else float(v))
        series.append((serial, values))
    if any(v is not None for _, values in series for v in values):
        out.append(bar_chart(f"{run.package} energy per test (mAh)", tests, series, "mAh"))
    else:
        out.append(f'<p class="note">No energy estimate for {esc(run.package)} in these '
                   "captures (the app did not run, or the device prints no pwi rows).</p>")
    return "".join(out)


def _comparison(run: RunData) -> str:
    m = run.metrics
    out = ['<h2 id="devices">Comparison across devices</h2>']
    if not len(m):
        out.append('<p class="note">No batterystats captures in this run.</p>')
        return "".join(out)
    rows = []
    labels: list[str] = []
    per_hour: dict[str, list[float | None]] = {"app mAh/h": [], "wakeups/h": [],
                                               "discharge %/h": []}
    for serial in dict.fromkeys(m["serial"]):
        dm = m[m["serial"] == serial]
        battery = float(pd.to_numeric(dm["battery_ms"]).sum())
        hours = battery / 3_600_000
        app = pd.to_numeric(dm["app_mah"], errors="coerce")
        app_total = None if app.isna().all() else float(app.sum())
        wakeups = int(dm["wakeups"].sum())
        discharge = int(dm["discharge_pct"].sum())
        info = run.device_info(serial)
        rows.append([esc(serial), info.get("api_level", "–"), len(dm), _fmt_ms(battery),
                     discharge, app_total, int(dm["app_jobs"].sum()),
                     int(dm["app_job_runs"].sum()), int(dm["app_alarms"].sum()),
                     int(dm["app_wakelocks"].sum()), wakeups,
                     round(wakeups / hours, 2) if hours else None])
        labels.append(serial)
        per_hour["app mAh/h"].append(app_total / hours if hours and app_total is not None
                                     else None)
        per_hour["wakeups/h"].append(wakeups / hours if hours else None)
        per_hour["discharge %/h"].append(discharge / hours if hours else None)
    out.append(_table(["device", "API", "captures", "on battery", "discharge %", "app mAh",
                       "app jobs", "app job runs", "app alarms", "app wakelocks", "wakeups",
                       "wakeups/h"], rows, left=1))
    for name, values in per_hour.items():
        if any(v is not None for v in values):
            out.append(bar_chart(f"{name} by device", labels, [(name, values)],
                                 name.split("/")[0]))
    return "".join(out)


def _warnings(run: RunData) -> str:
    items = [(ref, w) for ref in run.captures for w in ref.meta.get("warnings", [])]
    items += [(ref, f"collection: {e}") for ref in run.captures for e in ref.meta.get("errors", [])]
    if not items:
        return ""
    rows = [[esc(ref.serial), esc(ref.nodeid), esc(w)] for ref, w in items[:200]]
    return '<h2 id="warnings">Parse warnings</h2>' + _table(["device", "test", "warning"], rows,
                                                            left=3)


def render(run: RunData, title: str | None = None) -> str:
    """The whole page."""
    started = run.info.get("started_at") or ""
    version = run.info.get("harness_version") or ""
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    heading = title or f"Power report · run {run.run_id}"
    body = [
        f"<h1>{esc(heading)}</h1>",
        f'<div class="meta">started {esc(started or "–")} · harness {esc(version or "–")} · '
        f"generated {esc(generated)} · app {esc(run.package)}</div>",
        _summary(run),
        _timelines(run),
        _per_test(run),
        _comparison(run),
        _warnings(run),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title><style>{STYLE}</style>"
        f"<script>{SELF_CHECK}</script></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
