"""The ``power`` fixture and the ``min_sdk`` / ``max_sdk`` markers.

``power`` gives the test the power controllers of its device and restores everything they
changed at teardown, whatever happened: failure, error, or Ctrl-C (pytest runs fixture
finalizers when a session is interrupted). The state found before the test is captured, and
if anything still differs after the controllers restored themselves, the snapshot is applied
and the test is reported with an error naming what was left changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.device import Device
from harness.power import PowerControllers, PowerState


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "min_sdk(level): skip on devices below this API level")
    config.addinivalue_line("markers", "max_sdk(level): skip on devices above this API level")


@pytest.fixture(autouse=True)
def _harness_sdk_markers(request: pytest.FixtureRequest) -> None:
    low = request.node.get_closest_marker("min_sdk")
    high = request.node.get_closest_marker("max_sdk")
    if low is None and high is None:
        return
    if "device" not in request.fixturenames:
        return
    device: Device = request.getfixturevalue("device")
    api = device.api_level
    if low is not None and api < int(low.args[0]):
        pytest.skip(f"needs API >= {low.args[0]}; {device.serial} is API {api}")
    if high is not None and api > int(high.args[0]):
        pytest.skip(f"needs API <= {high.args[0]}; {device.serial} is API {api}")


@pytest.fixture
def power(device: Device) -> Iterator[PowerControllers]:
    """Doze, battery, battery saver, standby, background restriction, screen and whitelist
    controllers for the test's device; everything is restored afterwards."""
    before = PowerState.capture(device)
    controllers = PowerControllers(device)
    try:
        yield controllers
    finally:
        errors = controllers.restore()
        after = PowerState.capture(device)
        if after != before:
            left = after.differences(before)
            before.restore(device)
            errors.append("left changed after restore: " + "; ".join(left))
        if errors:
            pytest.fail("power state not restored cleanly: " + " | ".join(errors),
                        pytrace=False)
