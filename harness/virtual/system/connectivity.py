"""ConnectivityService: the device's networks, ``cmd connectivity airplane-mode`` and the
``svc wifi`` / ``svc data`` handlers.

The virtual device has Wi-Fi (unmetered, validated) and a SIM with mobile data (metered, not
roaming), both up by default; Wi-Fi is the default network when connected, mobile data stays up
behind it (``mobile_data_always_on``). The switches live where Android keeps them, in global
settings that survive reboots: ``wifi_on`` (0 off, 1 on, 2 on in airplane mode, 3 off because
of airplane mode, as WifiSettingsStore writes it), ``mobile_data`` and ``airplane_mode_on``.
Writing those settings alone changes nothing until the next boot, as on a phone (the radios
follow the commands and broadcasts, not the setting).

Other services read :attr:`connected`, :attr:`metered`, :attr:`transport` and :meth:`networks`
and listen to ``network_changed(connected, metered, transport)``. Connections come up at once
(no association or validation delay is modelled).

``svc`` dispatches here: ``svc wifi ...`` -> :func:`svc_wifi` and ``svc data ...`` ->
:func:`svc_data`, with the words after ``wifi`` / ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemServer, SystemService, system_service

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

WIFI_DISABLED = "0"
WIFI_ENABLED = "1"
WIFI_ENABLED_AIRPLANE_OVERRIDE = "2"
WIFI_DISABLED_AIRPLANE_ON = "3"
FIRST_NET_ID = 100  # netd hands out network ids from 100


@dataclass(frozen=True)
class Network:
    net_id: int
    transport: str  # "WIFI" or "CELLULAR"
    metered: bool
    roaming: bool = False
    validated: bool = True

    def capabilities(self, api_level: int) -> str:
        """NetworkCapabilities.toString, capabilities in bit order."""
        caps = [(12, "INTERNET"), (13, "NOT_RESTRICTED"), (14, "TRUSTED"), (15, "NOT_VPN")]
        if self.validated:
            caps.append((16, "VALIDATED"))
        if not self.metered:
            caps.append((11, "NOT_METERED"))
        if not self.roaming:
            caps.append((18, "NOT_ROAMING"))
        caps += [(19, "FOREGROUND"), (20, "NOT_CONGESTED"), (21, "NOT_SUSPENDED")]
        if api_level >= 31:
            caps.append((28, "NOT_VCN_MANAGED"))
        names = "&".join(name for _bit, name in sorted(caps))
        return f"[ Transports: {self.transport} Capabilities: {names}]"


@system_service
class ConnectivityService(SystemService):
    names = ("connectivity",)
    order = 12  # after settings (5) and packages (10): its state comes from global settings

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self._next_net_id = FIRST_NET_ID
        self._wifi: Network | None = None
        self._cell: Network | None = None
        self._published: tuple[bool, bool, str | None, tuple[int, ...]] | None = None
        self._update(publish=False)

    def boot_completed(self) -> None:
        # Listeners assume a connected device until told otherwise (CONNECTIVITY_ACTION at boot).
        if not self.connected:
            self.system.bus.publish(
                "network_changed", connected=False, metered=True, transport=None
            )

    # ------------------------------------------------------------------ settings
    def _setting(self, key: str, default: str) -> str:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        value = settings.get("global", key) if settings is not None else None
        return default if value is None else value

    def _put(self, key: str, value: str) -> None:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        if settings is not None:
            settings.put("global", key, value)

    @property
    def airplane_mode(self) -> bool:
        return self._setting("airplane_mode_on", "0") == "1"

    @property
    def wifi_enabled(self) -> bool:
        return self._setting("wifi_on", WIFI_ENABLED) in (
            WIFI_ENABLED,
            WIFI_ENABLED_AIRPLANE_OVERRIDE,
        )

    @property
    def mobile_data_enabled(self) -> bool:
        return self._setting("mobile_data", "1") == "1"

    # ------------------------------------------------------------------ Python API
    def networks(self) -> list[Network]:
        """Connected networks, the default one first."""
        return [n for n in (self._wifi, self._cell) if n is not None]

    @property
    def default_network(self) -> Network | None:
        nets = self.networks()
        return nets[0] if nets else None

    @property
    def connected(self) -> bool:
        return self.default_network is not None

    @property
    def metered(self) -> bool:
        """ConnectivityManager.isActiveNetworkMetered (true without a network, as there)."""
        net = self.default_network
        return True if net is None else net.metered

    @property
    def transport(self) -> str | None:
        net = self.default_network
        return net.transport if net is not None else None

    def set_wifi_enabled(self, enabled: bool) -> None:
        """WifiManager.setWifiEnabled: allowed in airplane mode (remembered as an override)."""
        if enabled:
            value = WIFI_ENABLED_AIRPLANE_OVERRIDE if self.airplane_mode else WIFI_ENABLED
        else:
            value = WIFI_DISABLED
        self._put("wifi_on", value)
        self._update()

    def set_mobile_data_enabled(self, enabled: bool) -> None:
        self._put("mobile_data", "1" if enabled else "0")
        self._update()

    def set_airplane_mode(self, enabled: bool) -> None:
        """ConnectivityService.setAirplaneMode: radios off; Wi-Fi comes back when it was on."""
        if enabled == self.airplane_mode:
            return
        self._put("airplane_mode_on", "1" if enabled else "0")
        wifi = self._setting("wifi_on", WIFI_ENABLED)
        if enabled and wifi == WIFI_ENABLED:
            self._put("wifi_on", WIFI_DISABLED_AIRPLANE_ON)
        elif not enabled and wifi in (WIFI_DISABLED_AIRPLANE_ON, WIFI_ENABLED_AIRPLANE_OVERRIDE):
            self._put("wifi_on", WIFI_ENABLED)
        self._update()

    # ------------------------------------------------------------------ networks
    def _new_id(self) -> int:
        net_id = self._next_net_id
        self._next_net_id += 1
        return net_id

    def _update(self, publish: bool = True) -> None:
        if self.wifi_enabled:
            if self._wifi is None:
                self._wifi = Network(self._new_id(), "WIFI", metered=False)
        else:
            self._wifi = None
        if self.mobile_data_enabled and not self.airplane_mode:
            if self._cell is None:
                self._cell = Network(self._new_id(), "CELLULAR", metered=True)
        else:
            self._cell = None
        state = (
            self.connected,
            self.metered,
            self.transport,
            tuple(n.net_id for n in self.networks()),
        )
        if state != self._published:
            self._published = state
            if publish:
                self.system.bus.publish(
                    "network_changed",
                    connected=self.connected,
                    metered=self.metered,
                    transport=self.transport,
                )

    # ------------------------------------------------------------------ shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        if cmd == "airplane-mode":
            arg = args[1] if len(args) > 1 else None
            if arg == "enable":
                self.set_airplane_mode(True)
                return 0
            if arg == "disable":
                self.set_airplane_mode(False)
                return 0
            if arg is None:
                inv.outln("enabled" if self.airplane_mode else "disabled")
                return 0
            self._help(inv)
            return 255
        if cmd in (None, "help", "-h"):
            self._help(inv)
        else:
            inv.outln(f"Unknown command: {cmd}")
        return 255

    @staticmethod
    def _help(inv: Invocation) -> None:
        inv.outln("Connectivity service commands:")
        inv.outln("  help")
        inv.outln("    Print this help text.")
        inv.outln("  airplane-mode [enable|disable]")
        inv.outln("    Turn airplane mode on or off.")
        inv.outln("  airplane-mode")
        inv.outln("    Get airplane mode.")

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        default = self.default_network
        inv.outln(f"Active default network: {default.net_id if default else 'none'}")
        inv.outln()
        inv.outln("Current Networks:")
        for net in self.networks():
            state = "CONNECTED"
            inv.outln(
                f"  NetworkAgentInfo{{network{{{net.net_id}}}  ni{{{net.transport} {state}}}"
                f"  nc{{{net.capabilities(self.api_level)}}}}}"
            )
        inv.outln()
        inv.outln(f"Airplane mode: {'enabled' if self.airplane_mode else 'disabled'}")
        return 0


def _service(inv: Invocation) -> ConnectivityService | None:
    system = inv.device.system if inv.device.system_ready else None
    return system.maybe_service(ConnectivityService) if system is not None else None


_WIFI_USAGE = (
    "Control the Wi-Fi manager\n\nusage: svc wifi [enable|disable]\n"
    "         Turn Wi-Fi on or off.\n"
)
_DATA_USAGE = (
    "Control mobile data connectivity\n\nusage: svc data [enable|disable]\n"
    "         Turn mobile data on or off.\n"
)


async def svc_wifi(inv: Invocation, args: list[str]) -> int:
    """``svc wifi enable|disable``: Android 11+ runs ``cmd wifi set-wifi-enabled`` from the svc
    script (usage on stdout, exit 1); earlier the Svc WifiCommand (usage on stderr, exit 0)."""
    return await _svc_switch(inv, args, "wifi", _WIFI_USAGE)


async def svc_data(inv: Invocation, args: list[str]) -> int:
    """``svc data enable|disable``: ``cmd phone data enable|disable`` from Android 11 on, the
    Svc DataCommand before."""
    return await _svc_switch(inv, args, "phone", _DATA_USAGE)


async def _svc_switch(inv: Invocation, args: list[str], binder: str, usage: str) -> int:
    script = inv.device.api_level >= 30
    if len(args) != 1 or args[0] not in ("enable", "disable"):
        if script:
            inv.outln(usage)
            return 1
        inv.err(usage + "\n")
        return 0
    svc = _service(inv)
    if svc is None:
        if script:
            inv.errln(f"cmd: Can't find service: {binder}")
            return 20
        inv.errln("Wi-Fi operation failed: android.os.DeadObjectException")
        return 0
    enable = args[0] == "enable"
    if binder == "wifi":
        svc.set_wifi_enabled(enable)
    else:
        svc.set_mobile_data_enabled(enable)
    return 0
