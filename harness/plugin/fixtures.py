"""Fixtures: ``device`` (the device of this test), ``devices`` (all of them), ``harness_run``."""

from __future__ import annotations

import pytest

from harness.device import Device
from harness.errors import HarnessError
from harness.plugin.session import HarnessSession, get_session


@pytest.fixture(scope="session")
def harness_run(request: pytest.FixtureRequest) -> HarnessSession:
    """The run: its id, its folder under reports/, its devices."""
    return get_session(request.config)


@pytest.fixture(scope="session")
def devices(harness_run: HarnessSession) -> list[Device]:
    """Every device of the run, for tests that look at several at once.

    These are not leased: under xdist other workers hold them, so a test must only read from
    them. A test that changes a device asks for ``device``.
    """
    try:
        harness_run.ensure_started()
    except HarnessError as exc:
        pytest.fail(f"harness could not provide devices: {exc}", pytrace=False)
    return harness_run.devices


@pytest.fixture
def device(request: pytest.FixtureRequest) -> Device:
    """The device this test runs on, leased to this process until the end of the run.

    In matrix mode with several devices the test is parametrized by device; in shard mode it is
    the device this worker holds. The serial goes into ``user_properties``
    (:data:`harness.plugin.results.SERIAL_PROPERTY`), so every report row names it.
    """
    from harness.plugin.farm import checkout

    return checkout(request)
