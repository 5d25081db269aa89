"""The virtual device's ``/system/bin``: named commands implemented in Python.

A command is a function taking an :class:`Invocation` and returning its exit status, plain or
as a coroutine. Commands register themselves with :func:`command`; API gating (``cmd`` exists
from API 24, for example) is part of the registration so that ``which`` and ``not found`` agree
with the modelled Android version.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.shell.streams import Input, LineReader, Output, read_all

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice


@dataclass
class Invocation:
    device: VirtualDevice
    argv: list[str]
    env: dict[str, str]
    cwd: str
    uid: int
    stdin: Input
    stdout: Output
    stderr: Output
    # Set for commands started by an ``app_process`` style stream that must outlive a reply.
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1]

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    def out(self, text: str | bytes) -> None:
        self.stdout.write(text)

    def err(self, text: str | bytes) -> None:
        self.stderr.write(text)

    def outln(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def errln(self, text: str) -> None:
        self.stderr.write(text + "\n")

    async def read_stdin(self) -> bytes:
        return await read_all(self.stdin)

    def lines(self) -> LineReader:
        return LineReader(self.stdin)

    def resolve(self, path: str) -> str:
        """An absolute path for ``path`` relative to the working directory."""
        from harness.virtual.fs import join_path

        return join_path(self.cwd, path)

    def sub(self, argv: list[str]) -> Invocation:
        """The same context running another argv (toybox dispatch, ``cmd`` -> service)."""
        return Invocation(
            self.device,
            argv,
            self.env,
            self.cwd,
            self.uid,
            self.stdin,
            self.stdout,
            self.stderr,
            self.extras,
        )


CommandFn = Callable[[Invocation], "int | Awaitable[int]"]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    fn: CommandFn
    min_api: int = 1
    max_api: int = 1000
    toybox: bool = False  # also reachable as ``toybox NAME``

    def available(self, api_level: int) -> bool:
        return self.min_api <= api_level <= self.max_api


_COMMANDS: dict[str, list[CommandSpec]] = {}


def command(
    *names: str, min_api: int = 1, max_api: int = 1000, toybox: bool = False
) -> Callable[[CommandFn], CommandFn]:
    def register(fn: CommandFn) -> CommandFn:
        for name in names:
            _COMMANDS.setdefault(name, []).append(CommandSpec(name, fn, min_api, max_api, toybox))
        return fn

    return register


def lookup(name: str, api_level: int) -> CommandSpec | None:
    _load_builtin_commands()
    for spec in _COMMANDS.get(name, []):
        if spec.available(api_level):
            return spec
    return None


def available_commands(api_level: int) -> list[str]:
    _load_builtin_commands()
    return sorted(n for n, specs in _COMMANDS.items() if any(s.available(api_level) for s in specs))


async def run_command(spec: CommandSpec, inv: Invocation) -> int:
    result = spec.fn(inv)
    if inspect.isawaitable(result):
        result = await result
    return int(result) & 0xFF if isinstance(result, int) else 0


_loaded = False


def _load_builtin_commands() -> None:
    """Import the command modules once (they register themselves)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from harness.virtual.shell import commands  # noqa: F401
