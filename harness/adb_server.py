"""The adb server: the one bundled in the adbutils wheel, found, started, and (if ours) stopped.

No Android SDK is needed. Two uses:

- :func:`ensure_server` for normal runs: use the server answering on host:port, or start one
  there (left running afterwards, as ``adb start-server`` would).
- :class:`PrivateAdbServer` for tests: a server on a free port with a temporary HOME, started
  as ``adb nodaemon server`` so that we know its pid and stop exactly that process at the end.
  A server this code did not start is never killed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.adb_wire import WireError, host_request
from harness.errors import AdbServerError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5037


def bundled_adb() -> Path:
    """The adb binary shipped inside the adbutils wheel (``$HARNESS_ADB`` overrides it)."""
    override = os.environ.get("HARNESS_ADB")
    if override:
        return Path(override)
    # Locate the package without importing it: importing adbutils builds its module-level
    # client from $ANDROID_ADB_SERVER_PORT, which callers may still be about to set.
    spec = importlib.util.find_spec("adbutils")
    if spec is None or not spec.submodule_search_locations:
        raise AdbServerError("adbutils is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / "binaries" / ("adb.exe" if os.name == "nt" else "adb")
    if not path.exists():
        raise AdbServerError(f"the adbutils wheel has no bundled adb at {path}")
    return path


def server_version(host: str, port: int, timeout_s: float = 2.0) -> int | None:
    """The server's protocol version (41 for adb 36), or None when nothing answers."""
    try:
        return int(host_request(host, port, "host:version", timeout_s), 16)
    except (OSError, WireError, EOFError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AdbServerAddress:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def parse(cls, text: str) -> AdbServerAddress:
        host, sep, port = text.rpartition(":")
        if not sep:
            return cls(DEFAULT_HOST, int(text)) if text.isdigit() else cls(text, DEFAULT_PORT)
        return cls(host or DEFAULT_HOST, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def client(self):  # type: ignore[no-untyped-def]
        """An explicit adbutils client for this server (never the module-level global)."""
        import adbutils

        return adbutils.AdbClient(host=self.host, port=self.port)


def ensure_server(
    address: AdbServerAddress | None = None, timeout_s: float = 20, start: bool = True
) -> bool:
    """Make sure a server answers; returns True when this call started it.

    Only a local server may be started, and only when ``start``: callers pass False for an
    address the user named explicitly, a lab server that we must not replace.
    """
    address = address or AdbServerAddress()
    if server_version(address.host, address.port) is not None:
        return False
    if not start or address.host not in ("127.0.0.1", "localhost", "::1"):
        raise AdbServerError(
            f"no adb server answers at {address}; start it on that host "
            f"(adb -a -P {address.port} nodaemon server) or check the tunnel"
        )
    subprocess.run(
        [str(bundled_adb()), "-P", str(address.port), "start-server"],
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server_version(address.host, address.port) is not None:
            return True
        time.sleep(0.1)
    raise AdbServerError(f"started adb on port {address.port} but it does not answer")


@dataclass
class PrivateAdbServer:
    """An adb server of our own: free port, temporary HOME, stopped by its pid."""

    port: int = 0
    listen_all: bool = False
    home: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _own_home: bool = False

    @property
    def address(self) -> AdbServerAddress:
        return AdbServerAddress(DEFAULT_HOST, self.port)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, timeout_s: float = 20) -> PrivateAdbServer:
        if self.port == 0:
            self.port = free_port()
        if server_version(DEFAULT_HOST, self.port) is not None:
            raise AdbServerError(f"port {self.port} already has an adb server that is not ours")
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="harness-adb-"))
            self._own_home = True
        env = dict(os.environ)
        env.update(
            {
                "HOME": str(self.home),
                "ANDROID_USER_HOME": str(self.home / ".android"),
                "TMPDIR": str(self.home),
                "ANDROID_ADB_SERVER_PORT": str(self.port),
            }
        )
        env.pop("ADB_VENDOR_KEYS", None)
        argv = [str(bundled_adb())]
        if self.listen_all:
            argv.append("-a")
        argv += ["-P", str(self.port), "nodaemon", "server"]
        log = open(self.home / "adb-server.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AdbServerError(
                    f"adb server on port {self.port} exited with {self.process.returncode}; "
                    f"log: {self.home / 'adb-server.log'}"
                )
            if server_version(DEFAULT_HOST, self.port, timeout_s=0.5) is not None:
                return self
            time.sleep(0.05)
        self.stop()
        raise AdbServerError(f"adb server on port {self.port} did not answer in {timeout_s} s")

    def stop(self) -> None:
        """Stop exactly the process we started (never ``kill-server`` on a shared port)."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=5)
        self.process = None
        if self._own_home and self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def __enter__(self) -> PrivateAdbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect(address: AdbServerAddress, target: str, timeout_s: float = 10) -> str:
    """``adb connect target`` through the given server; returns the server's answer."""
    answer = host_request(address.host, address.port, f"host:connect:{target}", timeout_s)
    if not (answer.startswith("connected to") or answer.startswith("already connected")):
        raise AdbServerError(f"adb connect {target} via {address}: {answer}")
    return answer


def disconnect(address: AdbServerAddress, target: str) -> None:
    with contextlib.suppress(OSError, WireError, EOFError):
        host_request(address.host, address.port, f"host:disconnect:{target}")


@dataclass(frozen=True)
class DeviceListing:
    serial: str
    state: str
    properties: dict[str, str]


def list_devices(address: AdbServerAddress) -> list[DeviceListing]:
    """``adb devices -l`` through the given server."""
    try:
        text = host_request(address.host, address.port, "host:devices-l")
    except (OSError, EOFError) as exc:
        raise AdbServerError(f"cannot reach the adb server at {address}: {exc}") from exc
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        props = dict(p.split(":", 1) for p in parts[2:] if ":" in p)
        out.append(DeviceListing(parts[0], parts[1], props))
    return out
