"""What runs inside an app process on the virtual device.

An installed package whose manifest names a package that has a registered model gets an
instance of that model each time its process starts (Application.onCreate) and loses it when
the process dies, so in-process state dies with the process exactly as on a phone; whatever
the app persists goes to its data directory. Apps without a model get :class:`AppModel`,
which does nothing (a generic APK).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice
    from harness.virtual.system.activity import Intent, ProcessRecord
    from harness.virtual.system.base import SystemServer
    from harness.virtual.system.jobscheduler import JobParameters
    from harness.virtual.system.packages import InstalledPackage
    from harness.virtual.ui import UiNode

_MODELS: dict[str, type[AppModel]] = {}


def app_model(package: str):  # type: ignore[no-untyped-def]
    """Class decorator: this model runs the code of ``package``."""

    def register(cls: type[AppModel]) -> type[AppModel]:
        _MODELS[package] = cls
        return cls

    return register


def model_for(package: str) -> type[AppModel]:
    _load_models()
    return _MODELS.get(package, AppModel)


class ProviderError(Exception):
    """A provider call failed; ``content`` prints the exception like Android's shell does."""

    def __init__(self, exception: str, message: str) -> None:
        self.exception = exception
        self.message = message
        super().__init__(f"{exception}: {message}")


class AppModel:
    package_name: ClassVar[str] = ""

    def __init__(
        self, system: SystemServer, package: InstalledPackage, process: ProcessRecord
    ) -> None:
        self.system = system
        self.package = package
        self.process = process

    @property
    def device(self) -> VirtualDevice:
        return self.system.device

    # -- lifecycle
    def on_create(self) -> None:
        """Application.onCreate: the process just started."""

    def on_destroy(self, reason: str) -> None:
        """The process is going away (killed, force-stopped, reboot); no I/O is guaranteed."""

    # -- components
    def on_receive(self, intent: Intent, receiver: str) -> None:
        """A manifest receiver got a broadcast."""

    def on_activity_started(self, activity: str, intent: Intent) -> None:
        """An activity of the app came to the front."""

    def ui_nodes(self, activity: str) -> list[UiNode]:
        """What the activity shows below its action bar (``harness.virtual.ui.UiNode``)."""
        return []

    def on_start_job(self, service: str, params: JobParameters) -> bool:
        """JobService.onStartJob of ``service``; True = still working, call job_finished later.

        The default (an app without a model) finishes at once, as an empty JobService would.
        """
        return False

    def on_stop_job(self, service: str, params: JobParameters) -> bool:
        """JobService.onStopJob: the system stops the job; True asks to reschedule it."""
        return False

    def on_start_service(self, service: str, intent: Intent) -> None:
        """Service.onStartCommand of ``service`` (started with startService or
        startForegroundService); a foreground start must be followed by startForeground."""

    def on_stop_service(self, service: str, reason: str) -> None:
        """Service.onDestroy: stopped by the app, by the system, or with its process."""

    def on_service_timeout(self, service: str, fgs_type: int) -> None:
        """Service.onTimeout(startId, fgsType): a time-limited foreground type ran out
        (Android 15 dataSync/mediaProcessing, Android 14 shortService)."""

    def provider_call(
        self, authority: str, method: str, arg: str | None, extras: dict[str, Any], caller_uid: int
    ) -> dict[str, Any] | None:
        raise ProviderError("java.lang.IllegalArgumentException", f"Unsupported method: {method}")

    def provider_query(
        self,
        uri: str,
        projection: list[str] | None,
        where: str | None,
        sort: str | None,
        caller_uid: int,
    ) -> tuple[list[str], list[list[Any]]]:
        return [], []


_loaded = False


def _load_models() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import harness.virtual.apps as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name != "base":
            importlib.import_module(f"{pkg.__name__}.{info.name}")
