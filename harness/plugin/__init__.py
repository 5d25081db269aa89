"""The pytest plugin (entry point ``pytest11: harness``).

Tests ask for the ``device`` fixture and get a :class:`harness.device.Device`. Which devices
exist for the run is decided once per session: the serials given with ``--serial``, or virtual
devices (``--virtual [N]``, the default: tests never touch a phone unless asked). Devices are
started only when a collected test needs one, so running unit tests costs nothing.

Each concern is a module with its own hooks, options and fixtures; pytest loads them all from
the list below.
"""

pytest_plugins = [
    "harness.plugin.session",
    "harness.plugin.farm",
    "harness.plugin.fixtures",
    "harness.plugin.results",
    "harness.plugin.artifacts",
    "harness.plugin.batterystats",
    "harness.plugin.power",
    "harness.plugin.app",
]
