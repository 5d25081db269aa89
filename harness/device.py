"""Device: the only gateway to one Android device.

Every command of the harness goes through :meth:`Device.shell` (or push/pull/install), which
returns real exit codes and separate stderr where the device speaks the shell protocol
(``shell_v2``, Android 7+), and raises typed errors that carry the serial, the command and what
the device answered. List arguments are quoted with ``shlex.join``, so a package name like
``a'b; rm -rf /`` reaches the device as one literal argument.

The device does not know or care whether it talks to a phone, an emulator or the virtual
device.
"""

from __future__ import annotations

import secrets
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import adb_wire
from harness.adb_server import AdbServerAddress, list_devices
from harness.errors import (
    BootTimeout,
    CommandTimeout,
    DeviceCommandError,
    DeviceLost,
    DeviceNotFound,
)

DEFAULT_SHELL_TIMEOUT_S = 60.0
DEFAULT_BOOT_TIMEOUT_S = 900.0  # Mobly's default; device profiles give tighter values

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ShellResult:
    stdout: str
    stderr: str
    exit_code: int
    # True on devices without shell_v2, where stderr arrives mixed into stdout.
    stderr_merged: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _quote(cmd: str | Sequence[str]) -> str:
    return cmd if isinstance(cmd, str) else shlex.join(list(cmd))


class Device:
    """One device behind one adb server.

    Args:
        serial: the adb serial (``R58M...``, ``emulator-5554``, ``127.0.0.1:40123``).
        server: which adb server to talk to (default: the local one on 5037).
        check_present: raise :class:`DeviceNotFound` now if the server does not list it.
    """

    def __init__(
        self, serial: str, server: AdbServerAddress | None = None, check_present: bool = True
    ) -> None:
        self.serial = serial
        self.server = server or AdbServerAddress()
        self._features: frozenset[str] | None = None
        self._props: dict[str, str] | None = None
        self._boot_id: str | None = None
        self._ui = None
        self._ui_boot: str | None = None
        if check_present:
            self._require_listed()

    def __repr__(self) -> str:
        return f"Device({self.serial!r}, server={self.server})"

    # ---------------------------------------------------------------- presence
    def state(self) -> str | None:
        """The adb state (``device``, ``offline``, ``unauthorized``...) or None if not listed."""
        for d in list_devices(self.server):
            if d.serial == self.serial:
                return d.state
        return None

    def _require_listed(self) -> None:
        listing = list_devices(self.server)
        if not any(d.serial == self.serial for d in listing):
            raise DeviceNotFound(
                self.serial, [f"{d.serial} ({d.state})" for d in listing], str(self.server)
            )

    def _lost(self, command: str, detail: str) -> DeviceLost:
        state = None
        try:
            state = self.state()
        except Exception:  # the server itself may be gone
            state = None
        seen = "not listed by the adb server" if state is None else f"adb state {state!r}"
        self._invalidate()
        return DeviceLost(self.serial, command, f"{detail}; device now {seen}")

    def _invalidate(self) -> None:
        self._features = None
        self._props = None
        self._boot_id = None

    # ---------------------------------------------------------------- features
    @property
    def features(self) -> frozenset[str]:
        if self._features is None:
            try:
                text = adb_wire.host_request(
                    self.server.host, self.server.port, f"host-serial:{self.serial}:features"
                )
            except adb_wire.WireError as exc:
                raise self._lost("features", exc.message) from exc
            self._features = frozenset(f for f in text.strip().split(",") if f)
        return self._features

    @property
    def has_shell_v2(self) -> bool:
        return "shell_v2" in self.features

    # ---------------------------------------------------------------- shell
    def shell(
        self,
        cmd: str | Sequence[str],
        timeout_s: float | None = DEFAULT_SHELL_TIMEOUT_S,
        check: bool = False,
        stdin: bytes | None = None,
    ) -> ShellResult:
        """Run a shell command and return its output and exit code.

        Args:
            cmd: a command line, or an argv list that is quoted with ``shlex.join``.
            timeout_s: stop the command and raise :class:`CommandTimeout` after this long.
            check: raise :class:`DeviceCommandError` on a non-zero exit code.
            stdin: bytes fed to the command's standard input (shell v2 devices only).
        """
        command = _quote(cmd)
        try:
            if self.has_shell_v2:
                raw = adb_wire.shell_v2(
                    self.server.host, self.server.port, self.serial, command, timeout_s, stdin
                )
                merged = False
            else:
                if stdin:
                    raise DeviceCommandError(
                        self.serial,
                        command,
                        None,
                        message="stdin needs the shell protocol (API 24+)",
                    )
                marker = f"__harness_rc_{secrets.token_hex(4)}__:"
                raw = adb_wire.shell_v1(
                    self.server.host, self.server.port, self.serial, command, timeout_s, marker
                )
                merged = True
        except adb_wire.WireTimeout as exc:
            partial = (exc.partial_stdout + exc.partial_stderr).decode("utf-8", "replace")
            raise CommandTimeout(self.serial, command, timeout_s or 0, partial) from None
        except adb_wire.StreamEnded:
            raise self._lost(command, "the shell stream ended without an exit status") from None
        except adb_wire.WireError as exc:
            raise self._lost(command, f"adb server: {exc.message}") from None
        except (ConnectionRefusedError, ConnectionResetError, EOFError) as exc:
            raise self._lost(command, f"connection to the adb server failed: {exc}") from None
        result = ShellResult(
            raw.stdout.decode("utf-8", "replace"),
            raw.stderr.decode("utf-8", "replace"),
            raw.exit_code,
            merged,
        )
        if check and result.exit_code != 0:
            raise DeviceCommandError(
                self.serial, command, result.exit_code, result.stdout, result.stderr
            )
        return result

    def exec_out(
        self, cmd: str | Sequence[str], timeout_s: float | None = DEFAULT_SHELL_TIMEOUT_S
    ) -> bytes:
        """stdout as bytes (screenshots, databases); the command must succeed."""
        command = _quote(cmd)
        try:
            if self.has_shell_v2:
                raw = adb_wire.shell_v2(
                    self.server.host, self.server.port, self.serial, command, timeout_s
                )
            else:
                marker = f"__harness_rc_{secrets.token_hex(4)}__:"
                raw = adb_wire.shell_v1(
                    self.server.host, self.server.port, self.serial, command, timeout_s, marker
                )
        except adb_wire.WireTimeout as exc:
            raise CommandTimeout(
                self.serial, command, timeout_s or 0, exc.partial_stderr.decode("utf-8", "replace")
            ) from None
        except (adb_wire.StreamEnded, adb_wire.WireError, ConnectionError, EOFError) as exc:
            raise self._lost(command, f"no exit status ({exc})") from None
        if raw.exit_code != 0:
            raise DeviceCommandError(
                self.serial, command, raw.exit_code, stderr=raw.stderr.decode("utf-8", "replace")
            )
        return raw.stdout

    def shell_text(
        self, cmd: str | Sequence[str], timeout_s: float | None = DEFAULT_SHELL_TIMEOUT_S
    ) -> str:
        """stdout of a command that must succeed."""
        return self.shell(cmd, timeout_s=timeout_s, check=True).stdout

    # ---------------------------------------------------------------- properties
    def getprop(self, name: str, timeout_s: float = 10.0) -> str:
        """One property. Retries an empty answer for ro.* props once: getprop can return an
        empty string right after boot (Mobly ``getprops`` comment)."""
        value = self.shell(["getprop", name], timeout_s=timeout_s).stdout.strip()
        if not value and name.startswith("ro."):
            value = self.shell(["getprop", name], timeout_s=timeout_s).stdout.strip()
        return value

    def getprops(self, refresh: bool = False) -> dict[str, str]:
        """All properties (``getprop``), cached until a reboot."""
        if self._props is None or refresh:
            from harness.android.getprop import parse as parse_getprop

            text = self.shell("getprop", timeout_s=30, check=True).stdout
            self._props = dict(parse_getprop(text).props)
        return self._props

    @property
    def api_level(self) -> int:
        return int(self.getprops().get("ro.build.version.sdk", "0") or 0)

    @property
    def model(self) -> str:
        return self.getprops().get("ro.product.model", "")

    @property
    def manufacturer(self) -> str:
        return self.getprops().get("ro.product.manufacturer", "")

    def boot_id(self) -> str:
        return self.shell_text("cat /proc/sys/kernel/random/boot_id", timeout_s=10).strip()

    # ---------------------------------------------------------------- files
    def _sync(self):  # type: ignore[no-untyped-def]
        import adbutils

        client = self.server.client()
        return adbutils.AdbDevice(client, serial=self.serial).sync

    def push(self, local: str | Path | bytes, remote: str, mode: int = 0o644) -> None:
        """Push a file (or bytes); the device creates parent directories."""
        import adbutils

        try:
            data = local if isinstance(local, bytes) else Path(local).read_bytes()
            self._sync().push(data, remote, mode=mode, check=True)
        except (adbutils.AdbError, OSError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise DeviceCommandError(
                self.serial, f"push {local!r} {remote}", None, message=f"push failed: {exc}"
            ) from exc

    def pull(self, remote: str, local: str | Path | None = None) -> bytes:
        """Pull a file; writes it to ``local`` when given and returns its bytes."""
        import adbutils

        try:
            data = self._sync().read_bytes(remote)
        except (adbutils.AdbError, OSError) as exc:
            raise DeviceCommandError(
                self.serial, f"pull {remote}", None, message=f"pull failed: {exc}"
            ) from exc
        if local is not None:
            Path(local).write_bytes(data)
        return data

    def install(
        self,
        apk: str | Path,
        grant_permissions: bool = True,
        allow_test: bool = True,
        allow_downgrade: bool = False,
        timeout_s: float = 300,
    ) -> None:
        """Install an APK: push to /data/local/tmp, ``pm install``, remove the copy."""
        remote = f"/data/local/tmp/harness-{secrets.token_hex(4)}.apk"
        self.push(apk, remote)
        argv = ["pm", "install", "-r"]
        if grant_permissions:
            argv.append("-g")
        if allow_test:
            argv.append("-t")
        if allow_downgrade:
            argv.append("-d")
        argv.append(remote)
        try:
            result = self.shell(argv, timeout_s=timeout_s)
        finally:
            self.shell(["rm", "-f", remote], timeout_s=30)
        if "Success" not in result.stdout:
            raise DeviceCommandError(
                self.serial,
                shlex.join(argv),
                result.exit_code,
                result.stdout,
                result.stderr,
                message="install failed",
            )

    # ---------------------------------------------------------------- UI automation
    def ui(self):  # type: ignore[no-untyped-def]
        """A uiautomator2 session on this device, over this device's adb server (never the
        module-level client). It is re-established after a reboot, as uiautomator2's server
        does not survive one."""
        import adbutils
        import uiautomator2

        boot = self.boot_id()
        if getattr(self, "_ui", None) is None or getattr(self, "_ui_boot", None) != boot:
            client = adbutils.AdbClient(host=self.server.host, port=self.server.port)
            self._ui = uiautomator2.connect(adbutils.AdbDevice(client, serial=self.serial))
            self._ui_boot = boot
        return self._ui

    # ---------------------------------------------------------------- reboot
    def reboot(
        self,
        wait: bool = True,
        timeout_s: float | None = None,
        progress: Progress | None = stderr_progress,
    ) -> None:
        """Reboot and, with ``wait``, return only once the device is fully back.

        The wait follows Tradefed, not Mobly: first the old boot must be gone (the transport
        dropped or boot_id changed), then the device is online, ``sys.boot_completed`` is 1,
        ``pm path android`` answers ``package:`` and ``boot_id`` differs from the one before.
        """
        old_boot = self.boot_id()
        adb_wire.simple_service(self.server.host, self.server.port, self.serial, "reboot:")
        self._invalidate()
        if wait:
            self.wait_for_boot(old_boot, timeout_s or DEFAULT_BOOT_TIMEOUT_S, progress)

    def wait_for_boot(
        self, old_boot_id: str | None, timeout_s: float, progress: Progress | None = stderr_progress
    ) -> None:
        start = time.monotonic()
        deadline = start + timeout_s
        say = progress or (lambda _m: None)
        attempt = 0

        def pause() -> None:
            nonlocal attempt
            attempt += 1
            # Capped back-off like Tradefed's min(n * 1 s, 3 s), scaled down for fast devices.
            time.sleep(min(0.05 * attempt, 0.5))

        def elapsed() -> str:
            return f"{time.monotonic() - start:.1f} s"

        stage = "the old boot to end (transport drop or new boot_id)"
        last = ""
        say(f"[{self.serial}] reboot: waiting for {stage}")
        while True:
            if time.monotonic() > deadline:
                raise BootTimeout(self.serial, timeout_s, stage, last)
            state = self._state_quietly()
            last = f"adb state {state!r}"
            if state != "device":
                break
            current = self._boot_id_quietly()
            if current is not None and old_boot_id is not None and current != old_boot_id:
                break
            pause()
        stage = "the device to come online"
        say(f"[{self.serial}] reboot: old boot gone after {elapsed()}; waiting for {stage}")
        attempt = 0
        checks: list[tuple[str, Callable[[], tuple[bool, str]]]] = [
            ("the device to come online", self._check_online),
            ("sys.boot_completed=1", self._check_boot_completed),
            ("`pm path android` to answer package:", self._check_pm),
            ("a new boot_id", lambda: self._check_new_boot(old_boot_id)),
        ]
        for stage, check in checks:
            attempt = 0
            while True:
                if time.monotonic() > deadline:
                    raise BootTimeout(self.serial, timeout_s, stage, last)
                ok, last = check()
                if ok:
                    say(f"[{self.serial}] reboot: {stage} after {elapsed()}")
                    break
                pause()
        self._invalidate()

    def _state_quietly(self) -> str | None:
        try:
            return self.state()
        except Exception:
            return None

    def _boot_id_quietly(self) -> str | None:
        try:
            res = self.shell("cat /proc/sys/kernel/random/boot_id", timeout_s=5)
            return res.stdout.strip() if res.ok else None
        except (DeviceLost, CommandTimeout, DeviceCommandError):
            return None

    def _check_online(self) -> tuple[bool, str]:
        state = self._state_quietly()
        if state is None and ":" in self.serial:
            # A network device may need a new `adb connect` after its reboot.
            from harness.adb_server import connect

            try:
                connect(self.server, self.serial, timeout_s=3)
            except Exception:
                pass
        return state == "device", f"adb state {state!r}"

    def _shell_quietly(self, cmd: str) -> tuple[ShellResult | None, str]:
        try:
            res = self.shell(cmd, timeout_s=10)
            return res, (res.stdout + res.stderr).strip()[:200]
        except (DeviceLost, CommandTimeout, DeviceCommandError) as exc:
            return None, str(exc).splitlines()[0]

    def _check_boot_completed(self) -> tuple[bool, str]:
        res, seen = self._shell_quietly("getprop sys.boot_completed")
        return res is not None and res.stdout.strip() == "1", f"sys.boot_completed={seen!r}"

    def _check_pm(self) -> tuple[bool, str]:
        res, seen = self._shell_quietly("pm path android")
        return res is not None and "package:" in res.stdout, f"pm path android: {seen!r}"

    def _check_new_boot(self, old: str | None) -> tuple[bool, str]:
        current = self._boot_id_quietly()
        return current is not None and current != old, f"boot_id {current!r} (was {old!r})"
