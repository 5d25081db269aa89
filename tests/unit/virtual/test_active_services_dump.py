"""``dumpsys activity services`` of the virtual device, read back by
``harness.android.activity_services``, per release and against the captures' record shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.android import activity_services as services_parser
from harness.virtual.runner import DeviceLoop
from tests.conformance.captures import captures_dir
from tests.unit.virtual.bgwork_bench import PKG, SYNC, Bench, bench_factory


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    yield from bench_factory(device_loop)


def capture(name: str) -> str:
    root = captures_dir()
    path = root / "activity_services" / name if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    return path.read_text(errors="replace")


def two_services(b: Bench) -> None:
    """A foreground dataSync service and a plain started one."""
    b.service_actions[SYNC] = lambda bench_, service: bench_.services.start_foreground(
        PKG, service, 42, title="Sync", text="running"
    )
    b.run(lambda: b.services.start_service(PKG, ".SyncService", foreground=True,
                                           caller_is_app_in_foreground=True))  # fmt: skip
    b.run(lambda: b.services.start_service(PKG, ".PlainService", caller_is_app_in_foreground=True))


@pytest.mark.parametrize(
    ("api", "types_raw"),
    [(27, None), (28, None), (30, None), (33, None), (34, "00000001"), (35, "0x00000001")],
)
def test_parser_reads_the_records_per_release(bench, api, types_raw):
    b = bench(api_level=api)
    two_services(b)
    dump = b.services_dump()
    by_name = {s.name: s for s in dump.find(PKG)}
    assert set(by_name) == {f"{PKG}/.SyncService", f"{PKG}/.PlainService"}
    sync, plain = by_name[f"{PKG}/.SyncService"], by_name[f"{PKG}/.PlainService"]
    assert sync.package == PKG and sync.running and sync.section == "active"
    assert sync.foreground and sync.foreground_id == 42
    assert sync.types_raw == types_raw
    assert sync.types == (1 if types_raw else None)
    assert sync.type_names == (["dataSync"] if types_raw else [])
    assert sync.foreground_notification and "flags=0x" in sync.foreground_notification
    assert sync.start_requested is True and sync.last_start_id == 1
    assert sync.pid is not None and sync.app_uid == "u0a150"
    assert not plain.foreground and plain.foreground_id is None
    assert [s.name for s in dump.foreground()] == [f"{PKG}/.SyncService"]
    if api >= 31:
        assert sync.allow_start_foreground == "PROC_STATE_TOP"
        assert sync.start_foreground_count == 1
    else:
        assert sync.allow_start_foreground is None


def test_package_filter_and_nothing(bench):
    b = bench(api_level=34)
    assert b.out(f"dumpsys activity services {PKG}") == (
        "ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  (nothing)\n"
    )
    two_services(b)
    assert b.services_dump("com.other").services == []
    assert len(b.services_dump(None).find(PKG)) == 2
    assert len(services_parser.parse(b.out("dumpsys activity s")).services) == 2


def test_short_service_record_line(bench):
    b = bench(api_level=34)
    b.service_actions[f"{PKG}.ShortService"] = lambda bench_, service: (
        bench_.services.start_foreground(PKG, service, 5, 0x800)
    )
    b.run(lambda: b.services.start_service(PKG, ".ShortService", foreground=True,
                                           caller_is_app_in_foreground=True))  # fmt: skip
    [svc] = b.services_dump().find(PKG)
    assert svc.type_names == ["shortService"]
    assert svc.fields["isShortFgs"] == "true" and svc.fields["timeout"].startswith("+2m59s")


@pytest.mark.parametrize(
    ("api", "name"),
    [
        (28, "gwm-haval-headunit-api28.txt"),
        (28, "sunmi-t2slite-api28.txt"),
        (33, "axxs-mt8168-api33.txt"),
        (27, "google-pixel-api27.txt"),
    ],
)
def test_records_have_the_fields_of_the_capture_of_their_release(bench, api, name):
    real = services_parser.parse(capture(name))
    b = bench(api_level=api)
    two_services(b)
    mine = b.services_dump()
    real_fg = [list(s.fields) for s in real.services if s.foreground]
    real_plain = [
        list(s.fields) for s in real.services
        if not s.foreground and s.start_requested and "executeNesting" not in s.fields
        and "permission" not in s.fields
    ]  # fmt: skip
    for svc in mine.find(PKG):
        expected = real_fg if svc.foreground else real_plain
        if expected:
            assert list(svc.fields) in expected, (svc.name, list(svc.fields))
