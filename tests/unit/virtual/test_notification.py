"""The virtual NotificationManagerService: posting and cancelling, Android 13's permission, the
foreground-service flags, the notification shade and ``dumpsys notification``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.android import notification as notification_parser
from harness.virtual.runner import DeviceLoop
from harness.virtual.uiautomator.rpc import RpcContext, dump_window_hierarchy, open_notification
from tests.conformance.captures import captures_dir
from tests.unit.virtual.bgwork_bench import PKG, SYNC, Bench, bench_factory

GRANT = f"pm grant {PKG} android.permission.POST_NOTIFICATIONS"


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    yield from bench_factory(device_loop)


def capture(name: str) -> str:
    root = captures_dir()
    path = root / "notification" / name if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    return path.read_text(errors="replace")


def notify(b: Bench, id: int = 1, **kw: object):
    defaults = {"channel_id": "updates", "title": "Backup done", "text": "12 photos"}
    return b.run(lambda: b.nms.notify(PKG, None, id, **{**defaults, **kw}))


def start_fgs(b: Bench, flags: int = 0) -> None:
    b.service_actions[SYNC] = lambda bench_, service: bench_.services.start_foreground(
        PKG, service, 9, title="Syncing", text="in progress", channel_id="sync", flags=flags
    )
    b.run(lambda: b.services.start_service(PKG, ".SyncService", foreground=True,
                                           caller_is_app_in_foreground=True))  # fmt: skip


def shade(b: Bench) -> str:
    ctx = RpcContext(b.dev)
    assert b.run(lambda: open_notification(ctx)) is True
    return b.run(lambda: dump_window_hierarchy(ctx))


# ---------------------------------------------------------------------------------- posting
def test_notification_is_listed_in_the_dump_and_shown_in_the_shade(bench):
    b = bench(api_level=34)
    b.out(GRANT)
    record = notify(b, 3, tag="t1", flags=0x10)
    assert record is not None and record.key == f"0|{PKG}|3|t1|10150"
    [n] = b.notification_dump().for_package(PKG)
    assert (n.id, n.tag, n.flags, n.channel, n.uid) == (3, "t1", 0x10, "updates", 10150)
    assert n.flag_names == ["AUTO_CANCEL"] and n.key == record.key
    assert n.extras["android.title"] == "String [length=11]"
    unredacted = b.notification_dump("--noredact").for_package(PKG)[0]
    assert unredacted.extras["android.title"] == "String (Backup done)"
    assert unredacted.extras["android.text"] == "String (12 photos)"
    xml = shade(b)
    assert 'text="Alarms Test"' in xml and 'text="Backup done"' in xml
    assert 'text="12 photos"' in xml


def test_notify_replaces_and_cancel_archives(bench):
    b = bench(api_level=34)
    b.out(GRANT)
    notify(b, 1, title="first")
    notify(b, 1, title="second")
    assert [r.title for r in b.run(lambda: b.nms.active(PKG))] == ["second"]
    assert b.run(lambda: b.nms.cancel(PKG, 1)) is True
    dump = b.notification_dump()
    assert dump.for_package(PKG) == []
    assert dump.state["mArchive"] == "Archive (1 notifications)"
    assert "No notifications" in shade(b)


@pytest.mark.parametrize(
    ("api", "target", "granted", "shown"),
    [
        (33, 33, False, False),
        (33, 33, True, True),
        (34, 34, False, False),
        (33, 32, False, True),  # a legacy app is not asked in the model
        (32, 32, False, True),  # no runtime permission before Android 13
    ],
)
def test_post_notifications_permission_from_android_13(bench, api, target, granted, shown):
    b = bench(api_level=api, target_sdk=target)
    if granted:
        b.out(GRANT)
    assert (notify(b) is not None) is shown
    assert bool(b.notification_dump().for_package(PKG)) is shown


def test_foreground_service_runs_without_the_notification_permission(bench):
    b = bench(api_level=34)
    start_fgs(b)
    [svc] = b.services_dump().find(PKG)
    assert svc.foreground
    assert b.notification_dump().for_package(PKG) == []
    assert "Syncing" not in shade(b)


@pytest.mark.parametrize(("api", "flags"), [(28, 0x6A), (32, 0x6A), (33, 0x68), (34, 0x68)])
def test_foreground_service_notification_flags_per_release(bench, api, flags):
    b = bench(api_level=api)
    if api >= 33:
        b.out(GRANT)
    start_fgs(b, flags=0x8)  # FLAG_ONLY_ALERT_ONCE, as the captured service sets it
    [n] = b.notification_dump().for_package(PKG)
    assert n.flags == flags and n.foreground_service
    if api >= 33:
        assert n.fields["originalFlags"] == "0x48"
    [svc] = b.services_dump().find(PKG)
    assert f"flags=0x{flags:x}" in (svc.foreground_notification or "")
    assert "Syncing" in shade(b)


@pytest.mark.parametrize(("api", "keeps_flag"), [(30, False), (31, True), (34, True)])
def test_app_update_of_its_foreground_service_notification(bench, api, keeps_flag):
    b = bench(api_level=api)
    if api >= 33:
        b.out(GRANT)
    start_fgs(b)
    notify(b, id=9, channel_id="sync", title="Syncing", text="half done")  # the app's notify()
    assert [r.text for r in b.run(lambda: b.nms.active(PKG))] == ["half done"]
    [n] = b.notification_dump().for_package(PKG)
    # Android 12+: ActiveServices.applyForegroundServiceNotificationLocked puts
    # FLAG_FOREGROUND_SERVICE back; before, the update is an ordinary notification.
    assert n.foreground_service is keeps_flag
    assert b.run(lambda: b.nms.cancel(PKG, 9)) is not keeps_flag  # the app may not cancel it
    if keeps_flag:
        [svc] = b.services_dump().find(PKG)
        assert f"flags=0x{n.flags:x}" in (svc.foreground_notification or "")


def test_force_stop_and_reboot_clear_notifications(bench):
    b = bench(api_level=34)
    b.out(GRANT)
    notify(b)
    b.out(f"am force-stop {PKG}")
    assert b.notification_dump().for_package(PKG) == []
    b.launch()
    notify(b)
    b.reboot()
    assert b.notification_dump().for_package(PKG) == []


# ---------------------------------------------------------------------------------- dump shape
@pytest.mark.parametrize("api", [27, 28, 31, 33, 34])
def test_parser_reads_the_records_per_release(bench, api):
    b = bench(api_level=api)
    if api >= 33:
        b.out(GRANT)
    notify(b, 5, tag=None, flags=0x10)
    dump = b.notification_dump()
    [n] = dump.for_package(PKG)
    assert (n.id, n.tag, n.flags, n.channel, n.importance) == (5, None, 0x10, "updates", 3)
    assert n.key == f"0|{PKG}|5|null|10150"
    assert n.importance_name == "DEFAULT"
    assert n.section == "posted"
    assert dump.state["mSystemReady"] == "true"


@pytest.mark.parametrize(
    ("api", "name"),
    [
        (27, "google-pixel-api27.txt"),
        (28, "posiflex-hs3314-api28-critical.txt"),
        (28, "sunmi-t2slite-api28-critical.txt"),
        (33, "axxs-mt8168-api33-critical.txt"),
    ],
)
def test_records_have_the_fields_of_the_capture_of_their_release(bench, api, name):
    real = notification_parser.parse(capture(name))
    b = bench(api_level=api)
    if api >= 33:
        b.out(GRANT)
    notify(b)
    [mine] = b.notification_dump().for_package(PKG)
    shapes = [[k for k in r.fields if k != "actions"] for r in real.notifications]
    assert list(mine.fields) in shapes
    real_extras = {k for r in real.notifications for k in r.extras}
    assert set(mine.extras) <= real_extras
