"""The checkin (``dumpsys batterystats -c``) aggregate parser on small hand-written dumps."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from harness.batterystats import CHECKIN_TABLES, checkin_tables, parse_checkin
from harness.errors import ParseError
from tests.unit.batterystats.fixtures import CHECKIN_V12, CHECKIN_V20, CHECKIN_V36, crlf


@pytest.fixture(scope="module")
def v36():
    return parse_checkin(CHECKIN_V36)


@pytest.fixture(scope="module")
def v20():
    return parse_checkin(CHECKIN_V20)


def row(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{len(sel)} rows match {match}"
    return sel.iloc[0]


def test_version_line(v36):
    assert (v36.version, v36.parcel_version) == (36, 214)
    assert (v36.start_platform, v36.end_platform) == ("AP1A.240305.019", "AP2A.240805.005")


def test_summary_merges_system_sections_with_units(v36):
    s = v36.summary.iloc[0]
    assert s["battery_realtime_ms"] == 7_200_000
    assert s["start_clock_time_ms"] == 1_732_816_430_344
    assert s["estimated_capacity_mah"] == 4500.0
    assert s["screen_doze_ms"] == 120_000
    assert s["discharge_mah"] == 250.5
    assert s["discharge_deep_doze_mah"] == 60.0
    assert s["screen_on_ms"] == 2_200_000
    assert s["device_idle_mode_deep_ms"] == 3_000_000
    assert s["longest_deep_idle_ms"] == 1_500_000
    assert s["wifi_on_ms"] == 7_000_000
    assert s["computed_drain_mah"] == 230.0
    # dtr is printed in microseconds.
    assert s["discharge_time_remaining_ms"] == 3_600_000
    assert pd.isna(s["charge_time_remaining_ms"])
    # Not printed: derived as battery realtime minus screen on, like Battery Historian.
    assert s["screen_off_ms"] == 5_000_000
    assert v36.summary.dtypes["battery_realtime_ms"] == "Int64"
    assert v36.summary.dtypes["discharge_mah"] == "Float64"


def test_wakelocks_v22_plus_blocks_include_background_partial(v36):
    wl = v36.wakelocks
    partial = row(wl, uid=1000, name="*alarm*", kind="partial")
    assert (partial["time_ms"], partial["count"]) == (350, 14)
    assert (partial["max_ms"], partial["total_ms"]) == (60, 400)
    bg = row(wl, uid=1000, name="*alarm*", kind="background_partial")
    assert (bg["time_ms"], bg["count"], bg["total_ms"]) == (100, 3, 120)
    window = row(wl, uid=1000, name="*alarm*", kind="window")
    assert window["time_ms"] == 0 and pd.isna(window["total_ms"])  # -1 means "not tracked"
    assert list(wl["kind"].cat.categories) == ["full", "partial", "background_partial", "window"]


def test_wakelocks_v20_blocks_have_no_total_and_no_background(v20):
    wl = v20.wakelocks
    assert set(wl["kind"]) == {"full", "partial", "window"}
    partial = row(wl, name="ProcessTrace", kind="partial")
    assert (partial["time_ms"], partial["count"], partial["max_ms"]) == (1663, 29, 87)
    assert pd.isna(partial["total_ms"])


def test_wakelock_rows_of_different_layouts_are_read_by_their_markers():
    # A v22+ row, a row without its background-partial block (as v21 printed), a row whose
    # blocks are in another order and a row with no marker at all.
    dump = "\n".join(
        [
            "9,0,i,vers,36,214,A,B",
            "9,1000,l,wl,a,5,f,1,-1,-1,-1,7,p,2,0,3,4,8,bp,1,0,2,3,0,w,0,-1,-1,-1",
            "9,1001,l,wl,b,0,f,0,-1,-1,-1,9,p,3,0,4,5,0,w,0,-1,-1,-1",
            "9,1002,l,wl,c,6,p,1,0,2,3,0,f,0,-1,-1,-1",
            "9,1003,l,wl,d,1,2,3",
        ]
    )
    stats = parse_checkin(dump)
    wl = stats.wakelocks
    got = [(r.uid, r.name, r.kind, r.time_ms, r.count) for r in wl.itertuples()]
    assert got == [
        (1000, "a", "full", 5, 1),
        (1000, "a", "partial", 7, 2),
        (1000, "a", "background_partial", 8, 1),
        (1000, "a", "window", 0, 0),
        (1001, "b", "full", 0, 0),
        (1001, "b", "partial", 9, 3),
        (1001, "b", "window", 0, 0),
        (1002, "c", "partial", 6, 1),
        (1002, "c", "full", 0, 0),
    ]
    assert row(wl, uid=1001, kind="partial")["total_ms"] == 5
    assert pd.isna(row(wl, uid=1002, kind="full")["max_ms"])
    assert "1 wl rows without wakelock type markers" in stats.warnings


@pytest.mark.parametrize("fixture", [CHECKIN_V20, CHECKIN_V36])
def test_wakelock_rows_of_one_layout_read_as_a_matrix_match_the_general_reading(
    fixture, monkeypatch
):
    fast = parse_checkin(fixture).wakelocks
    monkeypatch.setattr(checkin_tables, "_fixed_wakelock_blocks", lambda rows: None)
    general = parse_checkin(fixture).wakelocks
    pd.testing.assert_frame_equal(fast, general, check_exact=True)


def test_jobs_syncs_and_completion_reasons(v36):
    job = row(v36.jobs, uid=10123)
    assert job["name"] == "com.example.app/.SyncJob"
    assert (job["total_ms"], job["count"], job["background_ms"]) == (4200, 3, 4000)
    done = v36.job_completions
    assert len(done) == 12
    assert row(done, reason="successful_finish")["count"] == 3
    assert row(done, reason="timeout")["reason_code"] == 3
    assert row(done, reason="unknown")["reason_code"] == -1
    deferred = row(v36.jobs_deferred, uid=10123)
    assert (deferred["total_latency_ms"], deferred["count_over_8h"]) == (3000, 1)


def test_old_jobs_are_unquoted_and_have_no_background_timer(v20):
    job = row(v20.jobs, uid=1000)
    assert job["name"] == "com.vivo.abe/com.vivo.TrainJobService"
    assert (job["total_ms"], job["count"]) == (71, 1)
    assert pd.isna(job["background_ms"])


def test_quoted_names_keep_their_commas(v36):
    kwl = row(v36.kernel_wakelocks, time_ms=1500)
    assert kwl["name"] == "qcom,smd-rpm:222:fc4cf000.qcom,spmi"
    assert pd.isna(kwl["current_ms"])
    assert row(v36.wakeup_reasons, count=2)["name"] == "Abort: pm suspend"
    assert row(v36.processes, uid=10123)["name"] == "com.example.app:remote"


def test_alarms_take_the_package_of_the_following_apk_line(v36):
    alarms = v36.alarms
    assert list(alarms["count"]) == [7, 2]
    assert set(alarms["package"]) == {"com.example.app"}
    svc = row(v36.services, uid=10123)
    assert (svc["package_wakeup_alarm_count"], svc["starts"]) == (9, 3)
    assert svc["service"] == "com.example.app.SyncService"


def test_process_states_use_the_v29_order(v36, v20):
    st = v36.process_state_time
    assert row(st, state="background")["time_ms"] == 4000
    assert row(st, state="top_sleeping")["time_ms"] == 5000
    assert row(st, state="cached")["time_ms"] == 7000
    old = v20.process_state_time
    assert list(old["state"]) == [
        "top",
        "foreground_service",
        "top_sleeping",
        "foreground",
        "background",
        "cached",
    ]
    assert row(old, state="cached")["time_ms"] == 11_483_466


def test_network_mobile_active_time_is_converted_from_microseconds(v36, v20):
    assert row(v36.network, uid=10123)["mobile_active_ms"] == 2500
    nt = row(v20.network, uid=10057)
    assert nt["mobile_active_ms"] == 772_090
    assert pd.isna(nt["wifi_bg_tx_packets"])  # not printed before checkin 22


def test_wifi_times_are_converted_from_microseconds(v20):
    assert row(v20.wifi, uid=10057)["scan_ms"] == 2645


def test_power_use_labels_and_app_rows(v36, v20):
    pwi = v36.power_use
    app = row(pwi, uid=10123)
    assert app["kind"] == "app" and app["energy_mah"] == 42.25
    assert not app["hidden"]
    assert row(pwi, label="scrn")["kind"] == "screen"
    old = row(v20.power_use, label="unacc")
    assert old["energy_mah"] == 776.0 and pd.isna(old["hidden"])


def test_steps_are_chronological_and_modes_typed(v36):
    steps = v36.steps
    dis = steps[steps["kind"] == "discharge"]
    assert list(dis["level_pct"]) == [96, 95]  # printed most recent first
    assert list(dis["screen"]) == ["on", "off"]
    assert list(dis["device_idle"]) == [False, True]
    charge = row(steps, kind="charge")
    assert charge["screen"] == "mixed"
    assert bool(charge["power_save"])
    assert pd.isna(charge["device_idle"])


def test_cpu_freq_pairs_totals_with_screen_off_times(v36):
    freq = v36.cpu_freq
    assert list(freq["freq_khz"]) == [300_000, 1_200_000]
    assert list(freq["time_ms"]) == [100, 200]
    assert list(freq["screen_off_time_ms"]) == [10, 20]
    assert set(freq["process_state"]) == {"all"}


def test_time_in_state_labels_bins(v36, v20):
    tis = v36.time_in_state
    assert row(tis, metric="screen_brightness", state="bright")["time_ms"] == 5000
    lte = row(tis, metric="data_connection", state="lte")
    assert (lte["time_ms"], lte["count"]) == (7000, 3)
    assert row(tis, metric="data_connection", state="nr")["time_ms"] == 200
    assert row(tis, metric="data_connection", bin=22)["state"] == "other"
    assert row(v20.time_in_state, metric="data_connection", bin=16)["state"] == "other"


def test_uid_columns_keep_users_apart(v36):
    cpu = v36.cpu
    work = row(cpu, uid=1_010_123)
    assert (work["app_id"], work["user"]) == (10123, 10)
    assert row(cpu, uid=10123)["user"] == 0
    assert cpu.dtypes["uid"] == "int64"


def test_unknown_sections_and_extra_fields_are_kept(v36):
    unknown = v36.unknown
    xyz = unknown[unknown["section"] == "xyz"]
    assert list(xyz["value"]) == ["1", "2", "3"]
    extra = row(unknown, section="cpu")
    assert (extra["uid"], extra["field"], extra["value"]) == (10123, 3, "99")
    assert "xyz" in v36.unknown_sections
    assert any("xyz" in w for w in v36.warnings)


def test_legacy_categories_are_skipped_with_a_warning(v20):
    assert len(v20.summary) == 1
    assert v20.summary.iloc[0]["battery_realtime_ms"] == 11_483_466
    assert any("c=1" in w and "u=1" in w for w in v20.warnings)


def test_android_5_misc_layout(v20):
    s = parse_checkin(CHECKIN_V12).summary.iloc[0]
    assert s["wifi_on_ms"] == 300_000
    assert s["mobile_rx_total_bytes"] == 1000
    assert s["partial_wakelock_ms"] == 50_000
    assert s["interactive_ms"] == 110_000
    assert s["screen_off_ms"] == 380_000
    assert pd.isna(s["screen_doze_ms"])


def test_redaction_on_by_default_and_optional(v36):
    assert row(v36.syncs, uid=10123)["name"] == "com.example.provider/com.example/<account>"
    assert "<account>" in row(v36.wakelocks, uid=10123, kind="partial")["name"]
    raw = parse_checkin(CHECKIN_V36, redact=False)
    assert row(raw.syncs, uid=10123)["name"].endswith("/alice@example.com")
    assert not raw.redacted


def test_every_table_builds_and_is_typed(v36):
    tables = v36.tables()
    assert set(tables) == set(CHECKIN_TABLES)
    for name, df in tables.items():
        assert isinstance(df, pd.DataFrame), name
        for column, dtype in df.dtypes.items():
            assert str(dtype) != "object", f"{name}.{column} is untyped"


def test_missing_sections_give_empty_tables_with_the_same_columns(v36):
    empty = parse_checkin(CHECKIN_V36.split("\n", 1)[0] + "\n9,0,l,bt,0,1,1,1,1,1,1,1\n")
    for name in CHECKIN_TABLES:
        if name in ("summary", "unknown"):
            continue
        got = empty.table(name)
        assert len(got) == 0, name
        assert list(got.columns) == list(v36.table(name).columns), name
        assert [str(d) for d in got.dtypes] == [str(d) for d in v36.table(name).dtypes], name


def test_crlf_input_parses_the_same(v36):
    again = parse_checkin(crlf(CHECKIN_V36).encode())
    pd.testing.assert_frame_equal(again.wakelocks, v36.wakelocks)
    pd.testing.assert_frame_equal(again.summary, v36.summary)


def test_tables_are_cached(v36):
    assert v36.table("jobs") is v36.jobs


def test_not_checkin_output_raises_parse_error():
    with pytest.raises(ParseError) as err:
        parse_checkin("hello world\nthis is not batterystats\n")
    assert err.value.line == "hello world"


def test_garbage_lines_are_counted_not_fatal():
    stats = parse_checkin(CHECKIN_V20 + "Unknown package: com.nothing\n9,x,l,bt\n")
    assert any("not checkin rows" in w for w in stats.warnings)
    assert stats.summary.iloc[0]["battery_realtime_ms"] == 11_483_466


def test_progress_reports_bytes_up_to_the_total():
    calls: list[tuple[int, int]] = []
    parse_checkin(CHECKIN_V36, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (len(CHECKIN_V36), len(CHECKIN_V36))
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(calls))


def test_cpu_freq_reads_rows_of_different_lengths():
    # Rows as devices print them (state, N, N totals, N screen-off times), and the ragged ones a
    # truncated dump or an older build leaves: no screen-off half, fewer totals than N, an extra
    # field after the screen-off half.
    dump = "\n".join(
        [
            "9,0,i,vers,36,214,A,B",
            "9,0,l,gcf,300000,1200000",
            "9,10123,l,ctf,A,2,100,200,10,20",
            "9,10124,l,ctf,A,3,1,2,3",
            "9,10125,l,ctf,A,3,5,6",
            "9,10126,l,ctf,A,1,7,8,9",
        ]
    )
    freq = parse_checkin(dump).cpu_freq
    got = [
        (r.uid, r.freq_index, r.freq_khz, r.time_ms, r.screen_off_time_ms)
        for r in freq.astype(object).where(freq.notna(), None).itertuples()
    ]
    assert got == [
        (10123, 0, 300_000, 100, 10),
        (10123, 1, 1_200_000, 200, 20),
        (10124, 0, 300_000, 1, None),
        (10124, 1, 1_200_000, 2, None),
        (10124, 2, None, 3, None),
        (10125, 0, 300_000, 5, None),
        (10125, 1, 1_200_000, 6, None),
        (10126, 0, 300_000, 7, 8),
    ]
    assert freq["time_ms"].dtype == "Int64"


def test_cpu_freq_of_rows_of_one_length_matches_frequency_table():
    # Per UID u and state: three totals u, u+1, u+2 and screen-off times 0, 0, u.
    rows = [
        f"9,{10_000 + u},l,ctf,{st},3,{u},{u + 1},{u + 2},0,0,{u}" for u in range(4) for st in "AB"
    ]
    dump = "\n".join(["9,0,i,vers,36,214,A,B", "9,0,l,gcf,1,2,3", *rows])
    freq = parse_checkin(dump).cpu_freq
    assert len(freq) == 4 * 2 * 3
    assert list(freq["freq_khz"][:3]) == [1, 2, 3]
    assert list(freq["time_ms"][3:6]) == [0, 1, 2]
    assert list(freq["screen_off_time_ms"][21:24]) == [0, 0, 3]
    assert list(freq["uid"].unique()) == [10_000, 10_001, 10_002, 10_003]
    assert list(freq["process_state"][:6].astype(str)) == ["all"] * 3 + ["background"] * 3
