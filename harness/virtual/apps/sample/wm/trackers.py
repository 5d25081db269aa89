"""The in-process constraint trackers of WorkManager's GreedyScheduler (``Trackers``) and the
controllers that judge a WorkSpec against them (WorkConstraintsTracker).

What each tracker believes comes from what the app process would see: the sticky
ACTION_BATTERY_CHANGED at registration, then the broadcasts (BatteryChargingTracker: status
charging or full, then ACTION_CHARGING / ACTION_DISCHARGING; BatteryNotLowTracker: status
unknown or level above 15 %, then BATTERY_OKAY / BATTERY_LOW; StorageNotLowTracker:
DEVICE_STORAGE_OK / LOW; NetworkStateTracker: the default network's capabilities). The trackers
live in the app process and stop listening when it dies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.wm.schema import (
    CONNECTED,
    METERED,
    NOT_REQUIRED,
    NOT_ROAMING,
    STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW,
    STOP_REASON_CONSTRAINT_CHARGING,
    STOP_REASON_CONSTRAINT_CONNECTIVITY,
    STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW,
    UNMETERED,
)
from harness.virtual.apps.sample.wm.spec import Constraints

if TYPE_CHECKING:
    from harness.virtual.system.base import SystemServer

BATTERY_LOW_THRESHOLD = 0.15  # BatteryNotLowTracker.BATTERY_LOW_THRESHOLD
STATUS_UNKNOWN, STATUS_CHARGING, STATUS_FULL = 1, 2, 5  # BatteryManager.BATTERY_STATUS_*


@dataclass
class NetworkState:
    connected: bool
    validated: bool
    metered: bool
    not_roaming: bool


class Trackers:
    """The four trackers of one app process; ``on_change`` runs after any of them changed.

    A tracker listens only while some tracked work needs it (ConstraintTracker adds its receiver
    with the first listener and removes it with the last), and reads the current state when it
    starts: a battery that ``cmd battery unplug`` unplugged still reports status CHARGING in
    the sticky intent, so a tracker that starts afterwards believes it is charging until the
    next ACTION_DISCHARGING, as on a phone.
    """

    KINDS = ("charging", "battery_not_low", "storage_not_low", "network")

    def __init__(self, system: SystemServer, on_change: Callable[[], None]) -> None:
        self.system = system
        self.api = system.device.api_level
        self.on_change = on_change
        self.closed = False
        self.active: set[str] = set()
        self.charging = False
        self.battery_not_low = True
        self.storage_not_low = True
        self.network = NetworkState(False, False, True, True)
        self._battery = self._service("battery", "BatteryService")
        if self._battery is not None:
            self._battery.add_listener(self._on_battery)
        bus = system.bus
        bus.subscribe("storage_changed", self._on_storage)
        bus.subscribe("network_changed", self._on_network)

    def _service(self, module: str, cls: str) -> Any:
        import importlib

        try:
            klass = getattr(importlib.import_module(f"harness.virtual.system.{module}"), cls)
        except (ImportError, AttributeError):
            return None
        return self.system.maybe_service(klass)

    def close(self) -> None:
        """The process died: its receivers and callbacks are gone."""
        self.closed = True
        self.active.clear()
        if self._battery is not None:
            self._battery.remove_listener(self._on_battery)
        self.system.bus.unsubscribe("storage_changed", self._on_storage)
        self.system.bus.unsubscribe("network_changed", self._on_network)

    def track(self, constraints: list[Constraints]) -> None:
        """The trackers the tracked work needs listen; a newly started one reads the state."""
        needed = set()
        for c in constraints:
            if c.requires_charging:
                needed.add("charging")
            if c.requires_battery_not_low:
                needed.add("battery_not_low")
            if c.requires_storage_not_low:
                needed.add("storage_not_low")
            if c.required_network_type != NOT_REQUIRED:
                needed.add("network")
        for kind in needed - self.active:
            self._read(kind)
        self.active = needed

    def _read(self, kind: str) -> None:
        battery = self._battery
        status = battery.status if battery is not None else STATUS_UNKNOWN
        if kind == "charging":
            # BatteryChargingTracker.readSystemState (API 23+): the sticky intent's status.
            self.charging = status in (STATUS_CHARGING, STATUS_FULL)
        elif kind == "battery_not_low":
            level = battery.level if battery is not None else 100
            self.battery_not_low = (status == STATUS_UNKNOWN
                                    or level / 100 > BATTERY_LOW_THRESHOLD)
        elif kind == "storage_not_low":
            storage = self._service("storage", "DeviceStorageMonitorService")
            self.storage_not_low = bool(storage.storage_not_low) if storage is not None else True
        else:
            self.network = self._read_network()

    def _read_network(self) -> NetworkState:
        conn = self._service("connectivity", "ConnectivityService")
        net = conn.default_network if conn is not None else None
        if net is None:
            return NetworkState(False, False, True, True)
        return NetworkState(True, bool(net.validated), bool(net.metered), not net.roaming)

    def _on_battery(self, event: str, seq: int | None) -> None:
        if self.closed:
            return
        if event in ("charging", "discharging") and "charging" in self.active:
            self.charging = event == "charging"
        elif event in ("battery_okay", "battery_low") and "battery_not_low" in self.active:
            self.battery_not_low = event == "battery_okay"
        else:
            return
        self.on_change()

    def _on_storage(self, not_low: bool = True, **_: object) -> None:
        if self.closed or "storage_not_low" not in self.active:
            return
        self.storage_not_low = bool(not_low)
        self.on_change()

    def _on_network(self, **_: object) -> None:
        if self.closed or "network" not in self.active:
            return
        self.network = self._read_network()
        self.on_change()

    def unmet(self, c: Constraints) -> int | None:
        """WorkConstraintsTracker: None when every constraint holds, else the stop reason of the
        first controller that is constrained (charging, battery, storage, then network)."""
        if c.requires_charging and not self.charging:
            return STOP_REASON_CONSTRAINT_CHARGING
        if c.requires_battery_not_low and not self.battery_not_low:
            return STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW
        if c.requires_storage_not_low and not self.storage_not_low:
            return STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW
        if c.required_network_type != NOT_REQUIRED and not self._network_ok(
                c.required_network_type):
            return STOP_REASON_CONSTRAINT_CONNECTIVITY
        return None

    def _network_ok(self, kind: int) -> bool:
        n = self.network
        if kind == CONNECTED:
            # NetworkConnectedController: validated too from API 26.
            return n.connected and (n.validated or self.api < 26)
        if kind == UNMETERED:
            return n.connected and not n.metered
        if kind == NOT_ROAMING:
            return n.connected and n.not_roaming
        if kind == METERED:
            return n.connected and n.metered
        return n.connected  # TEMPORARILY_UNMETERED and others: NetworkConnectedController
