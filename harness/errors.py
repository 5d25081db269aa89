"""Typed errors of the harness.

Every error that concerns a device carries its serial, and every error about a command carries
the command and what the device answered, so that a failure under pytest-xdist on a farm of
twenty phones can be read without rerunning anything.
"""

from __future__ import annotations

_MAX_OUTPUT_CHARS = 2000


def _clip(text: str, limit: int = _MAX_OUTPUT_CHARS) -> str:
    """Keep error messages readable when a command printed megabytes."""
    text = text.rstrip("\n")
    if len(text) <= limit:
        return text
    head = limit // 2
    return f"{text[:head]}\n... [{len(text) - limit} characters cut] ...\n{text[-head:]}"


class HarnessError(Exception):
    """Base class of every error raised by the harness."""


class ParseError(HarnessError):
    """A parser met text it cannot read.

    Parsers degrade field by field; this is raised only when the text is not the kind of output
    the parser was asked to read at all.
    """

    def __init__(self, command: str, message: str, line_number: int = 0, line: str = "") -> None:
        self.command = command
        self.message = message
        self.line_number = line_number
        self.line = line
        where = f" at line {line_number}: {line!r}" if line_number else ""
        super().__init__(f"cannot parse output of {command!r}{where}: {message}")


class AdbServerError(HarnessError):
    """The adb server could not be started, reached or understood."""


class DeviceError(HarnessError):
    """Base class of errors that concern one device."""

    def __init__(self, serial: str, message: str) -> None:
        self.serial = serial
        super().__init__(f"[{serial}] {message}")


class DeviceNotFound(DeviceError):
    """No device with this serial is attached to the adb server."""

    def __init__(self, serial: str, seen: list[str], server: str = "") -> None:
        self.seen = list(seen)
        at = f" on adb server {server}" if server else ""
        listing = ", ".join(f"{s}" for s in seen) if seen else "none"
        super().__init__(serial, f"device not found{at}; devices seen: {listing}")


class DeviceCommandError(DeviceError):
    """A command ran on the device and failed (non-zero exit or refused service)."""

    def __init__(
        self,
        serial: str,
        command: str,
        exit_code: int | None,
        stdout: str = "",
        stderr: str = "",
        message: str = "",
    ) -> None:
        self.command = command
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        parts = [message or f"command failed with exit code {exit_code}", f"command: {command}"]
        if stdout.strip():
            parts.append(f"stdout:\n{_clip(stdout)}")
        if stderr.strip():
            parts.append(f"stderr:\n{_clip(stderr)}")
        super().__init__(serial, "\n".join(parts))


class CommandTimeout(DeviceError):
    """A command did not finish within its timeout; it was stopped on the device."""

    def __init__(
        self, serial: str, command: str, timeout_s: float, partial_output: str = ""
    ) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self.partial_output = partial_output
        msg = f"command timed out after {timeout_s:g} s: {command}"
        if partial_output.strip():
            msg += f"\noutput so far:\n{_clip(partial_output)}"
        super().__init__(serial, msg)


class DeviceLost(DeviceError):
    """The device's transport went away (unplugged, rebooted, crashed) while it was in use."""

    def __init__(self, serial: str, command: str, detail: str) -> None:
        self.command = command
        self.detail = detail
        super().__init__(serial, f"device lost during {command!r}: {detail}")


class BootTimeout(DeviceError):
    """A device did not come back from a reboot within the allowed time."""

    def __init__(self, serial: str, timeout_s: float, stage: str, last_seen: str) -> None:
        self.timeout_s = timeout_s
        self.stage = stage
        self.last_seen = last_seen
        super().__init__(
            serial,
            f"boot not complete after {timeout_s:g} s: waiting for {stage}; last seen: {last_seen}",
        )


class WaitTimeout(DeviceError):
    """An acknowledgement from the platform did not arrive in time.

    Names what was awaited and what was last seen, e.g. "deviceidle deep state IDLE" and
    "INACTIVE".
    """

    def __init__(self, serial: str, awaited: str, last_seen: str, timeout_s: float) -> None:
        self.awaited = awaited
        self.last_seen = last_seen
        self.timeout_s = timeout_s
        super().__init__(
            serial, f"timed out after {timeout_s:g} s waiting for {awaited}; last seen: {last_seen}"
        )


class UnsupportedOnDevice(DeviceError):
    """The device's Android version or vendor build lacks what the operation needs."""

    def __init__(self, serial: str, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(serial, f"{operation} is not supported: {reason}")


class DeviceFilterError(HarnessError):
    """A device filter expression (``--device-filter``) is not valid.

    Says what was expected and shows where, so that a typo in a CI job's filter is fixed from
    the message alone.
    """

    def __init__(self, expression: str, position: int, message: str) -> None:
        self.expression = expression
        self.position = position
        self.message = message
        pointer = " " * max(0, position) + "^"
        super().__init__(
            f"invalid device filter: {message} (column {position + 1})\n"
            f"  {expression}\n  {pointer}"
        )


class NoDevicesSelected(HarnessError):
    """The device selection (serials, filter) chose nothing; lists every device seen."""

    def __init__(self, reason: str, seen: list[str]) -> None:
        self.reason = reason
        self.seen = list(seen)
        listing = "\n".join(f"  {line}" for line in seen) if seen else "  (none)"
        super().__init__(f"{reason}; devices seen:\n{listing}")


class LeaseTimeout(DeviceError):
    """Another process held the device's lease for longer than we were willing to wait."""

    def __init__(self, serial: str, server: str, waited_s: float, holder: str, path: str) -> None:
        self.server = server
        self.waited_s = waited_s
        self.holder = holder
        self.path = path
        super().__init__(
            serial,
            f"device lease on adb server {server} not obtained after {waited_s:.0f} s: "
            f"held by {holder}; lease file {path}",
        )


class LeaseConflict(DeviceError):
    """The device's lease is held by another worker of this same run: waiting would never end.

    Each device's tests are scheduled on one worker, so this means the scheduling was changed
    (another ``--dist``, a plugin) or a test asked for a device that is not its own.
    """

    def __init__(self, serial: str, server: str, holder: str) -> None:
        self.server = server
        self.holder = holder
        super().__init__(
            serial,
            f"device on adb server {server} is held by {holder}, another worker of this run; "
            f"a device's tests must all run on one worker",
        )


class DeviceUnavailable(DeviceLost):
    """The device was lost earlier in the run; its remaining tests fail without touching it.

    A subclass of :class:`DeviceLost`, so ``except DeviceLost`` covers both the command that
    noticed the loss and the tests that came after it.
    """

    def __init__(self, serial: str, server: str, reason: str) -> None:
        self.server = server
        self.command = ""
        self.detail = reason
        DeviceError.__init__(
            self, serial, f"device on adb server {server} is unavailable for this run: {reason}"
        )
