"""The pytest plugin (entry point ``pytest11: harness``).

Tests ask for the ``device`` fixture and get a :class:`harness.device.Device`. Which devices
exist for the run is decided once per session: the serials given with ``--serial``, or virtual
devices (``--virtual [N]``, the default: tests never touch a phone unless asked). Devices are
started only when a collected test needs one, so running unit tests costs nothing.
"""

from __future__ import annotations

import pytest

from harness.plugin.artifacts import pytest_runtest_makereport  # noqa: F401 - pytest hook
from harness.plugin.fixtures import device, devices, harness_run  # noqa: F401 - fixtures
from harness.plugin.options import pytest_addoption  # noqa: F401 - pytest hook
from harness.plugin.session import (  # noqa: F401 - pytest hooks
    pytest_collection_modifyitems,
    pytest_report_collectionfinish,
    pytest_report_header,
    pytest_unconfigure,
)


def pytest_configure(config: pytest.Config) -> None:
    from harness.plugin import results, session

    session.pytest_configure(config)
    results.register(config)
