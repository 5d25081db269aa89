"""Many devices at once: device modes, xdist scheduling, leases and lost devices.

Modes (``--device-mode``):

- ``matrix`` (default): every test that uses ``device`` runs once per selected device. With
  two or more devices, or under xdist, it is parametrized by device and the device's label is
  the first id in its brackets (``test_x[R58M123]``, ``test_y[R58M123-fast]``). Under xdist
  the controller schedules by that label: all tests of one device go to one worker, which
  leases the device when its first test starts and keeps it to the end. Tests without a device
  spread over all workers as with ``--dist load``.
- ``shard``: each test runs once, on whichever device its worker holds. Every worker leases one
  device for its life (preferring device number ``worker index % devices``) and xdist
  distributes the tests; the controller starts no more workers than there are devices.

A device is checked before each of its tests. If it is not online, the test waits up to
``--device-wait`` seconds (it may be rebooting); after that the device is lost for the run:
that test and every later one on it fail with :class:`~harness.errors.DeviceUnavailable`
naming it, while the other devices carry on.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import pytest

from harness.device import Device
from harness.errors import DeviceLost, DeviceUnavailable, HarnessError
from harness.farm.leases import DEFAULT_TIMEOUT_S, LeaseDir, LeaseLog, Owner
from harness.farm.pool import DEFAULT_DEVICE_WAIT_S, DevicePool, device_key
from harness.plugin.session import (
    WORKERINPUT_KEY,
    DeviceInfo,
    get_session,
    uses_plugin_devices,
)

POOL_KEY = pytest.StashKey["DevicePool"]()
ITEM_DEVICE_KEY = pytest.StashKey[str]()
LEASE_LOG_NAME = "leases.jsonl"
MODES = ("matrix", "shard")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness")
    group.addoption(
        "--device-mode",
        choices=MODES,
        default="matrix",
        help="matrix: every test once per device (default); shard: tests spread over devices",
    )
    group.addoption(
        "--lease-dir",
        default=None,
        metavar="DIR",
        help="device lease directory, shared by runs that share devices "
        "(default $HARNESS_LEASE_DIR or ~/.cache/harness/leases)",
    )
    group.addoption(
        "--lease-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"how long to wait for a device another run holds (default {DEFAULT_TIMEOUT_S:g})",
    )
    group.addoption(
        "--device-wait",
        type=float,
        default=DEFAULT_DEVICE_WAIT_S,
        metavar="SECONDS",
        help="how long a test waits for its device to come back online before the device is "
        f"lost for the run (default {DEFAULT_DEVICE_WAIT_S:g})",
    )


# ------------------------------------------------------------------------------ roles
def worker_id(config: pytest.Config) -> str:
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def _worker_index(config: pytest.Config) -> int:
    digits = "".join(c for c in worker_id(config) if c.isdigit())
    return int(digits) if digits else 0


def is_xdist_controller(config: pytest.Config) -> bool:
    """This process hands tests to xdist workers (and runs none itself)."""
    return config.pluginmanager.has_plugin("dsession")


def _progress(config: pytest.Config) -> Callable[[str], None]:
    """Print past pytest's output capture: a wait for a device must be visible as it happens."""

    def say(message: str) -> None:
        capman = config.pluginmanager.getplugin("capturemanager")
        quiet = capman.global_and_fixture_disabled() if capman else contextlib.nullcontext()
        with quiet:
            sys.stderr.write(f"harness [{worker_id(config)}]: {message}\n")
            sys.stderr.flush()

    return say


# ------------------------------------------------------------------------------ the pool
def get_pool(config: pytest.Config) -> DevicePool:
    """This process's pool of the run's devices (the run must have its devices)."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is None:
        hs = get_session(config)
        say = _progress(config)
        pool = DevicePool(
            hs.devices,
            LeaseDir(config.getoption("lease_dir"), LeaseLog(hs.run_dir / LEASE_LOG_NAME), say),
            Owner.current(worker_id(config), hs.run_id),
            config.getoption("lease_timeout"),
            config.getoption("device_wait"),
            say,
        )
        config.stash[POOL_KEY] = pool
    return pool


def checkout(request: pytest.FixtureRequest) -> Device:
    """The ``device`` fixture's work: pick, lease and check the test's device."""
    __tracebackhide__ = True
    from harness.plugin.artifacts import begin_test

    config = request.config
    hs = get_session(config)
    try:
        hs.ensure_started()
    except HarnessError as exc:
        pytest.fail(f"harness could not provide devices: {exc}", pytrace=False)
    pool = get_pool(config)
    key = getattr(request, "param", None)  # matrix: the test's parameter
    if key is None:
        # One device, or shard mode: the device this process keeps for its life.
        own = hs.devices[0] if len(hs.devices) == 1 else pool.own_device(_worker_index(config))
        key = device_key(own)
    info = hs.device_by_key(key)[0]
    _record_device(request.node, info)
    request.node.stash[ITEM_DEVICE_KEY] = key
    device = pool.checkout(key, request.node.nodeid)
    begin_test(request.node, device)
    return device


def _record_device(item: pytest.Item, info: DeviceInfo) -> None:
    from harness.plugin.results import SERIAL_PROPERTY, SERVER_PROPERTY

    names = {k for k, _v in item.user_properties}
    if SERIAL_PROPERTY not in names:
        item.user_properties.append((SERIAL_PROPERTY, info.serial))
    if SERVER_PROPERTY not in names:
        item.user_properties.append((SERVER_PROPERTY, info.server))


# ------------------------------------------------------------------------------ hooks
@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, select (and start) the devices before the workers start."""
    config = session.config
    if not is_xdist_controller(config):
        return
    hs = get_session(config)
    try:
        hs.ensure_started()
    except HarnessError:
        return  # every device test reports the error
    tx = list(config.getoption("tx") or [])
    if config.getoption("device_mode") == "shard" and len(tx) > len(hs.infos):
        # In shard mode each worker keeps one device: more workers would only wait.
        config.option.tx = tx[: len(hs.infos)]
        config.option.numprocesses = len(hs.infos)
        hs._say(
            f"harness: shard mode with {len(hs.infos)} device(s): starting "
            f"{len(hs.infos)} of {len(tx)} workers"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # type: ignore[no-untyped-def]
    node.workerinput[WORKERINPUT_KEY] = get_session(node.config).to_workerinput()


def device_of_nodeid(nodeid: str, labels: list[str]) -> str | None:
    """The device label a matrix test's id starts with (``test_x[LABEL]``, ``[LABEL-...]``)."""
    name = nodeid.rsplit("::", 1)[-1]
    start = name.find("[")
    if start < 0 or not name.endswith("]"):
        return None
    params = name[start + 1 : -1]
    for label in sorted(labels, key=len, reverse=True):  # "emulator-5554-2" before "...5554"
        if params == label or params.startswith(label + "-"):
            return label
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # type: ignore[no-untyped-def]
    """Matrix mode: one work unit per device, so that each device's tests share a worker."""
    hs = get_session(config)
    if config.getoption("device_mode") != "matrix" or not hs.infos:
        return None
    from xdist.scheduler import LoadScopeScheduling

    labels = [i.label for i in hs.infos]

    class DeviceScheduling(LoadScopeScheduling):
        # LoadScopeScheduling hands out whole scopes; xdist's own loadfile and loadgroup
        # schedulers differ from it only in this method. (loadgroup's nodeid suffix is not
        # used: pytest 9 no longer lets xdist rewrite node ids.)
        def _split_scope(self, nodeid: str) -> str:
            label = device_of_nodeid(nodeid, labels)
            return f"harness-device:{label}" if label is not None else nodeid

    dist = config.getoption("dist")
    if dist != "load":
        hs._say(f"harness: matrix mode schedules by device (--dist {dist} is not used)")
    return DeviceScheduling(config, log)


def _parametrized_by_user(metafunc: pytest.Metafunc) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "device" in names:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # first, so that the device's id leads the brackets
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    if config.getoption("device_mode") != "matrix" or "device" not in metafunc.fixturenames:
        return
    if not uses_plugin_devices(metafunc.definition) or _parametrized_by_user(metafunc):
        return
    hs = get_session(config)
    try:
        hs.ensure_started()
    except HarnessError:
        return
    # One device without xdist keeps plain ids; under xdist the id is what schedules by device.
    if len(hs.infos) < 2 and not hasattr(config, "workerinput"):
        return
    metafunc.parametrize(
        "device", [pytest.param(i.key, id=i.label) for i in hs.infos], indirect=True
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Name each test's device before it runs, so that even a setup error carries it."""
    hs = get_session(config)
    if not hs.started or hs.error or not hs.infos:
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        key = callspec.params.get("device") if callspec is not None else None
        info = None
        if isinstance(key, str):
            with contextlib.suppress(KeyError):
                info = hs.device_by_key(key)[0]
        elif (
            len(hs.infos) == 1
            and "device" in getattr(item, "fixturenames", ())
            and uses_plugin_devices(item)
        ):
            info = hs.infos[0]
        if info is not None:
            _record_device(item, info)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if call.excinfo is not None and ITEM_DEVICE_KEY in item.stash:
        exc = call.excinfo.value
        if isinstance(exc, DeviceLost) and not isinstance(exc, DeviceUnavailable):
            get_pool(item.config).note_lost(item.stash[ITEM_DEVICE_KEY], item.nodeid, exc)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # tryfirst: a worker gives its leases back before xdist tells the controller it is done.
    pool = session.config.stash.get(POOL_KEY, None)
    if pool is not None:
        pool.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(POOL_KEY, None)
    if pool is not None:
        pool.close()
