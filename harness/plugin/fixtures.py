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
    try:
        harness_run.ensure_started()
    except HarnessError as exc:
        pytest.fail(f"harness could not provide devices: {exc}", pytrace=False)
    return harness_run.devices


@pytest.fixture
def device(request: pytest.FixtureRequest, devices: list[Device]) -> Device:
    """The device this test runs on."""
    from harness.plugin.artifacts import begin_test
    from harness.plugin.results import SERIAL_PROPERTY

    dev = devices[0]
    request.node.user_properties.append((SERIAL_PROPERTY, dev.serial))
    begin_test(request.node, dev)
    return dev
