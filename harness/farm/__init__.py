"""Device farm: find devices on one or more adb servers, choose some, and lease them.

- :mod:`harness.farm.discovery`: every device each adb server lists, with the facts a lab
  filters on (API level, manufacturer, model, matched device profile, virtual or not);
- :mod:`harness.farm.selection`: ``--serial``, ``--all-devices`` and the ``--device-filter``
  expression language (parsed by hand, never evaluated as Python);
- :mod:`harness.farm.leases`: one lock per device (serial plus adb server), so that parallel
  workers and concurrent runs never share a device, and a log of who held what and when;
- :mod:`harness.farm.pool`: one process's share of the devices: what it leases, what it lost.

The pytest side (options, xdist scheduling, the ``device`` fixture) is
:mod:`harness.plugin.farm`.
"""
