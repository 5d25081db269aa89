"""A model of androidx.work (WorkManager 2.10, the version the sample app builds with) as it
runs inside an app process on API 23+: its Room database, the JobScheduler and in-process
(greedy) schedulers, the processor that runs workers, start-up after a reboot or force-stop,
and the diagnostics broadcast. The app model owns one :class:`WorkManager` per process, created
on demand like the real one.
"""

from harness.virtual.apps.sample.wm import diagnostics as diagnostics  # registers its worker
from harness.virtual.apps.sample.wm.manager import WorkManager as WorkManager
