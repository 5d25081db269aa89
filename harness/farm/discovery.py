"""Every device the given adb servers list, with the facts selection and reports need.

A device's identity in a farm is its serial *and* its adb server: two lab hosts may each have
an ``emulator-5554``. Whether a device is virtual comes only from its matched device profile
(``is_virtual``: an emulator or ``ro.hardware=harness_virtual``), the way a lab filter would
decide it; nothing here knows how a device was started.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from harness.adb_server import AdbServerAddress, list_devices
from harness.device import Device
from harness.errors import HarnessError
from harness.profiles import ProfileError, ProfileSet, load_profiles

# Reading properties is one shell round trip per device; threads keep a 50-phone lab fast.
_MAX_PARALLEL_READS = 16


@dataclass(frozen=True)
class FarmDevice:
    """One device as seen on one adb server."""

    serial: str
    server: str  # "host:port" of the adb server that lists it
    state: str  # adb state: device, offline, unauthorized ... or "unresponsive"
    model: str = ""
    manufacturer: str = ""
    api_level: int = 0
    profile: str = ""  # name of the matched device profile (pixel, samsung-oneui, aosp-33 ...)
    is_virtual: bool = False
    note: str = ""  # why the facts are missing, when they are

    @property
    def key(self) -> str:
        """Unique within a run and across runs that name the servers the same way."""
        return f"{self.serial}@{self.server}"

    @property
    def online(self) -> bool:
        return self.state == "device"

    @property
    def address(self) -> AdbServerAddress:
        return AdbServerAddress.parse(self.server)

    def facts(self) -> dict[str, object]:
        """What a ``--device-filter`` expression can test."""
        return {
            "api": self.api_level,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "profile": self.profile,
            "serial": self.serial,
            "server": self.server,
            "virtual": self.is_virtual,
        }

    def describe(self) -> str:
        """One line for listings and errors: serial, model, API, profile, server."""
        model = f"{self.manufacturer} {self.model}".strip() or "?"
        api = str(self.api_level) if self.api_level else "?"
        kind = " (virtual)" if self.is_virtual else ""
        profile = f"  profile {self.profile}{kind}" if self.profile else ""
        state = "" if self.online else f"  [{self.state}{': ' + self.note if self.note else ''}]"
        return f"{self.serial}  {model}  API {api}{profile}  on {self.server}{state}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FarmDevice:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})  # type: ignore[arg-type]


def _profiles_or_none() -> tuple[ProfileSet | None, str]:
    try:
        return load_profiles(), ""
    except ProfileError as exc:
        return None, f"device profiles unavailable ({exc}); profile and virtual unknown"


def describe_props(
    serial: str,
    server: AdbServerAddress,
    state: str,
    props: dict[str, str],
    profiles: ProfileSet | None,
) -> FarmDevice:
    profile, virtual = "", False
    if profiles is not None and props:
        matched = profiles.match(props)
        profile, virtual = matched.name, matched.is_virtual
    return FarmDevice(
        serial,
        str(server),
        state,
        props.get("ro.product.model", ""),
        props.get("ro.product.manufacturer", ""),
        int(props.get("ro.build.version.sdk", "0") or 0),
        profile,
        virtual,
    )


def _read(
    serial: str, server: AdbServerAddress, state: str, profiles: ProfileSet | None
) -> FarmDevice:
    if state != "device":
        return FarmDevice(serial, str(server), state)
    try:
        props = Device(serial, server, check_present=False).getprops()
    except HarnessError as exc:
        first = str(exc).splitlines()[0]
        return FarmDevice(serial, str(server), "unresponsive", note=f"getprop failed: {first}")
    return describe_props(serial, server, state, props, profiles)


def discover(
    servers: Sequence[AdbServerAddress], profiles: ProfileSet | None = None
) -> tuple[list[FarmDevice], list[str]]:
    """All devices of all servers, by server then serial, plus warnings (profiles missing).

    Raises :class:`~harness.errors.AdbServerError` naming a server that does not answer: a
    server the user named is part of the lab, and silently running on fewer devices would hide
    that a host is down.
    """
    warnings: list[str] = []
    if profiles is None:
        profiles, warning = _profiles_or_none()
        if warning:
            warnings.append(warning)
    listed = [
        (d.serial, address, d.state)
        for address in servers
        for d in sorted(list_devices(address), key=lambda d: d.serial)  # stable run to run
    ]
    if not listed:
        return [], warnings
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL_READS, len(listed))) as pool:
        found = list(pool.map(lambda item: _read(*item, profiles), listed))
    return found, warnings
