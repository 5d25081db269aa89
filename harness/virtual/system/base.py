"""The virtual system_server: a set of services that live for one boot.

Each Android system service is modelled by a :class:`SystemService` subclass registered with
:func:`system_service`. On every boot a fresh :class:`SystemServer` builds all of them, so
in-memory state (forced idle, battery overrides, alarms) is lost on reboot exactly as on a phone,
while what Android persists is kept by the device in ``device.persistent(...)`` objects that
outlive boots.

Services find each other with ``system.service(Cls)`` and talk through a small event bus
(``battery_changed``, ``screen_changed``, ...), the way Android services use broadcasts and
internal listeners.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from harness.virtual.clock import Timer, TimerQueue

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice
    from harness.virtual.shell.registry import Invocation

log = logging.getLogger(__name__)

T = TypeVar("T", bound="SystemService")

_SERVICE_CLASSES: list[type[SystemService]] = []


def system_service(cls: type[T]) -> type[T]:
    """Class decorator: build this service on every boot."""
    _SERVICE_CLASSES.append(cls)
    return cls


class EventBus:
    def __init__(self) -> None:
        self._subs: dict[str, list[Callable[..., None]]] = defaultdict(list)

    def subscribe(self, event: str, callback: Callable[..., None]) -> None:
        self._subs[event].append(callback)

    def unsubscribe(self, event: str, callback: Callable[..., None]) -> bool:
        """Stop delivering ``event`` to ``callback`` (an app process that dies takes its
        receivers and listeners with it); False if it was not subscribed. Bound methods compare
        equal when they wrap the same object and function, so ``obj.method`` works here."""
        subs = self._subs.get(event)
        if not subs or callback not in subs:
            return False
        subs.remove(callback)
        return True

    def listeners(self, event: str) -> list[Callable[..., None]]:
        """The callbacks subscribed to ``event``, in delivery order."""
        return list(self._subs.get(event, []))

    def publish(self, event: str, **payload: Any) -> None:
        for cb in list(self._subs.get(event, [])):
            try:
                cb(**payload)
            except Exception:  # one faulty listener must not break the others
                log.exception("listener for %s failed", event)


class SystemService:
    """Base of every modelled system service.

    ``names`` are the binder service names: ``dumpsys NAME`` calls :meth:`dump` and
    ``cmd NAME`` calls :meth:`shell_command`. ``order`` decides construction order (lower
    first) for services that need another one in ``__init__``.
    """

    names: ClassVar[tuple[str, ...]] = ()
    order: ClassVar[int] = 100
    min_api: ClassVar[int] = 1

    def __init__(self, system: SystemServer) -> None:
        self.system = system

    @property
    def device(self) -> VirtualDevice:
        return self.system.device

    @property
    def api_level(self) -> int:
        return self.system.device.api_level

    def start(self) -> None:
        """Called once all services of this boot exist; subscribe to events here."""

    def boot_completed(self) -> None:
        """Called when the boot completes (after ``sys.boot_completed=1``)."""

    def shutdown(self) -> None:
        """Called when the device goes down; timers are dropped by the server."""

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.outln(f"(no dump for {self.names[0] if self.names else type(self).__name__})")
        return 0

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        """``cmd NAME ARGS``; by default the same as dumpsys with arguments, like deviceidle."""
        return await self.dump(inv, args)

    # timers owned by this boot
    def call_later(self, delay_ms: float, name: str, cb: Callable[[], None]) -> Timer:
        return self.system.timers.call_later(delay_ms, name, cb)

    def call_at(self, when_elapsed_ms: int, name: str, cb: Callable[[], None]) -> Timer:
        return self.system.timers.call_at(when_elapsed_ms, name, cb)


class SystemServer:
    def __init__(self, device: VirtualDevice) -> None:
        import asyncio

        self.device = device
        self.bus = EventBus()
        self.timers = TimerQueue(device.clock, asyncio.get_running_loop())
        self._services: dict[type[SystemService], SystemService] = {}
        self._by_name: dict[str, SystemService] = {}
        self.booted = False
        _load_service_modules()
        for cls in sorted(_SERVICE_CLASSES, key=lambda c: c.order):
            if device.api_level < cls.min_api:
                continue
            svc = cls(self)
            self._services[cls] = svc
            for name in cls.names:
                self._by_name[name] = svc
        for svc in self._services.values():
            svc.start()

    def service(self, cls: type[T]) -> T:
        svc = self._services.get(cls)
        if svc is None:
            for known, inst in self._services.items():
                if issubclass(known, cls):
                    return inst  # type: ignore[return-value]
            raise LookupError(f"service {cls.__name__} not running")
        return svc  # type: ignore[return-value]

    def maybe_service(self, cls: type[T]) -> T | None:
        try:
            return self.service(cls)
        except LookupError:
            return None

    def find(self, name: str) -> SystemService | None:
        return self._by_name.get(name)

    def service_names(self) -> list[str]:
        return sorted(self._by_name)

    def boot_completed(self) -> None:
        self.booted = True
        for svc in self._services.values():
            try:
                svc.boot_completed()
            except Exception:
                log.exception("boot_completed of %s failed", type(svc).__name__)

    def shutdown(self) -> None:
        for svc in self._services.values():
            try:
                svc.shutdown()
            except Exception:
                log.exception("shutdown of %s failed", type(svc).__name__)
        self.timers.close()


_modules_loaded = False


def _load_service_modules() -> None:
    """Import every module of this package (they register their services) and the apps."""
    global _modules_loaded
    if _modules_loaded:
        return
    _modules_loaded = True
    import harness.virtual.system as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name != "base":
            importlib.import_module(f"{pkg.__name__}.{info.name}")
