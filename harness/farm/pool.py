"""One process's share of a farm: the devices it leases, and the ones it lost.

A :class:`DevicePool` hands out devices of a fixed list (the run's selection) to the code of one
process, typically a pytest worker:

- :meth:`DevicePool.checkout` leases a device the first time it is asked for and keeps the lease
  until :meth:`DevicePool.close`, so that nobody else changes the device between two tests;
- :meth:`DevicePool.own_device` picks the one device this process keeps for its life (shard
  mode): the preferred one if free, else any free one, else it waits for the preferred one;
- before handing a device out it checks that the adb server still lists it online, waiting a
  while for a device that may be rebooting; a device that does not come back is *lost* for the
  pool's life, and every later request fails at once with
  :class:`~harness.errors.DeviceUnavailable`, naming where it was first lost. So does a device
  whose lease could not be obtained: waiting again for every test would multiply the timeout.

Nothing here knows about pytest; :mod:`harness.plugin.farm` wires it to the ``device`` fixture.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.device import Device
from harness.errors import DeviceUnavailable, HarnessError, LeaseConflict, LeaseTimeout
from harness.farm.leases import DEFAULT_TIMEOUT_S, Lease, LeaseDir, LeaseRecord, Owner

DEFAULT_DEVICE_WAIT_S = 60.0

Progress = Callable[[str], None]


def device_key(device: Device) -> str:
    return f"{device.serial}@{device.server}"


def _state(device: Device) -> str | None:
    try:
        return device.state()
    except (HarnessError, OSError):
        return None  # the adb server itself is gone: so is the device, for this run


@dataclass
class DevicePool:
    devices: Sequence[Device]
    lease_dir: LeaseDir
    owner: Owner
    lease_timeout_s: float = DEFAULT_TIMEOUT_S
    device_wait_s: float = DEFAULT_DEVICE_WAIT_S
    progress: Progress = field(default=lambda _m: None)
    leases: dict[str, Lease] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)
    _suspect: dict[str, str] = field(default_factory=dict)
    _own: str | None = None

    def device(self, key: str) -> Device:
        for d in self.devices:
            if device_key(d) == key:
                return d
        raise KeyError(key)

    # -------------------------------------------------------------------- handing out
    def own_device(self, preferred: int = 0) -> Device:
        """The device this process keeps for its life, leased on the first call."""
        __tracebackhide__ = True
        if self._own is not None:
            return self.device(self._own)
        order = list(self.devices[preferred % len(self.devices):])
        order += self.devices[: preferred % len(self.devices)]
        for device in order:
            lease = self.lease_dir.try_acquire(device.serial, str(device.server), self.owner)
            if lease is not None:
                self._keep(device, lease)
                self._own = device_key(device)
                return device
        # Every device is held (by other runs): wait for the preferred one.
        device = order[0]
        self._raise_if_lost(device)
        self._keep(device, self._acquire(device))
        self._own = device_key(device)
        return device

    def checkout(self, key: str, before: str = "") -> Device:
        """Lease the device (once, kept until :meth:`close`) and make sure it is online.

        ``before`` names what is about to use it (a test id), for the messages.
        """
        __tracebackhide__ = True
        device = self.device(key)
        self._raise_if_lost(device)
        if key not in self.leases:
            self._keep(device, self._acquire(device))
        self._require_online(device, before)
        return device

    def note_lost(self, key: str, where: str, exc: BaseException) -> None:
        """A command found the device gone (``DeviceLost``): say so if it does not come back."""
        self._suspect.setdefault(key, f"{where}: {str(exc).splitlines()[0]}")

    def close(self) -> None:
        """Give every lease back (also after failures and Ctrl-C)."""
        while self.leases:
            _key, lease = self.leases.popitem()
            with contextlib.suppress(OSError):
                lease.release()

    # -------------------------------------------------------------------- internals
    def _raise_if_lost(self, device: Device) -> None:
        __tracebackhide__ = True
        key = device_key(device)
        if key in self.lost:
            raise DeviceUnavailable(device.serial, str(device.server), self.lost[key])

    def _keep(self, device: Device, lease: Lease) -> None:
        self.leases[device_key(device)] = lease
        if lease.recovered is not None:
            self.progress(
                f"[{device.serial}] recovered a stale lease of {lease.recovered.describe()}"
            )

    def _acquire(self, device: Device) -> Lease:
        __tracebackhide__ = True
        serial, server, owner = device.serial, str(device.server), self.owner

        def refuse(holder: LeaseRecord) -> None:
            # Another worker of this run keeps the device to its end: waiting cannot succeed.
            other = holder.owner
            same_run = bool(owner.run_id) and other.run_id == owner.run_id
            if same_run and other.worker != owner.worker and other.state() != "dead":
                raise LeaseConflict(serial, server, other.describe())

        try:
            return self.lease_dir.acquire(serial, server, owner, self.lease_timeout_s, refuse)
        except (LeaseTimeout, LeaseConflict) as exc:
            self.lost[device_key(device)] = f"its lease was not obtained: held by {exc.holder}"
            raise

    def _require_online(self, device: Device, before: str) -> None:
        __tracebackhide__ = True
        key = device_key(device)
        state = _state(device)
        if state != "device":
            self.progress(
                f"[{device.serial}] adb state {state!r}; waiting up to "
                f"{self.device_wait_s:g} s for it to come back" + (f" before {before}" if before
                                                                   else "")
            )
            deadline = time.monotonic() + self.device_wait_s
            while state != "device" and time.monotonic() < deadline:
                time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
                state = _state(device)
        if state == "device":
            self._suspect.pop(key, None)
            return
        seen = "not listed by the adb server" if state is None else f"adb state {state!r}"
        reason = f"{seen} after waiting {self.device_wait_s:g} s"
        if before:
            reason += f" before {before}"
        if key in self._suspect:
            reason += f"; first lost in {self._suspect[key]}"
        self.lost[key] = f"lost earlier in the run ({reason})"
        raise DeviceUnavailable(device.serial, str(device.server), f"lost ({reason})")
