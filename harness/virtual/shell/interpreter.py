"""Runs parsed shell programs against the virtual device, the way /system/bin/sh (mksh) does.

Messages and exit codes follow mksh on Android: an unknown command prints
``/system/bin/sh: NAME: not found`` and exits 127; a syntax error exits 1 (2 for ``sh -c``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.fs import FsError, join_path
from harness.virtual.shell import parser as ast
from harness.virtual.shell.builtins import BUILTINS, ShellExit
from harness.virtual.shell.registry import Invocation, lookup, run_command
from harness.virtual.shell.streams import (
    BrokenPipe,
    BufferOutput,
    BytesInput,
    Input,
    NullOutput,
    Output,
    Pipe,
)

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice

SH = "/system/bin/sh"
DEFAULT_PATH = (
    "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:"
    "/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin"
)
_IFS = re.compile(r"[ \t\n]+")


@dataclass
class IO:
    stdin: Input
    stdout: Output
    stderr: Output

    def with_fd(self, fd: int, stream: Input | Output) -> IO:
        io = IO(self.stdin, self.stdout, self.stderr)
        if fd == 0:
            io.stdin = stream  # type: ignore[assignment]
        elif fd == 1:
            io.stdout = stream  # type: ignore[assignment]
        elif fd == 2:
            io.stderr = stream  # type: ignore[assignment]
        return io

    def get(self, fd: int) -> Input | Output | None:
        return {0: self.stdin, 1: self.stdout, 2: self.stderr}.get(fd)


class _FileOutput:
    """``> file``: bytes go straight into the file node."""

    def __init__(self, node) -> None:  # type: ignore[no-untyped-def]
        self.node = node

    def write(self, data: bytes | str) -> None:
        self.node.write(data.encode() if isinstance(data, str) else data, append=True)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class ShellState:
    device: VirtualDevice
    uid: int
    cwd: str
    env: dict[str, str]
    positional: list[str] = field(default_factory=list)
    status: int = 0
    background: list[asyncio.Task[int]] = field(default_factory=list)

    def fork(self) -> ShellState:
        return ShellState(
            self.device, self.uid, self.cwd, dict(self.env), list(self.positional), self.status, []
        )


class Interpreter:
    def __init__(self, state: ShellState) -> None:
        self.state = state

    @property
    def device(self) -> VirtualDevice:
        return self.state.device

    # ---------------------------------------------------------------- entry points
    async def run_source(self, source: str, io: IO) -> int:
        try:
            program = ast.parse(source)
        except ast.ShellSyntaxError as exc:
            io.stderr.write(f"{SH}: syntax error: {exc}\n")
            self.state.status = 1
            return 1
        try:
            return await self.run_list(program, io)
        except ShellExit as exc:
            self.state.status = exc.code
            return exc.code
        except ast.ShellSyntaxError as exc:
            io.stderr.write(f"{SH}: {exc}\n")
            self.state.status = 1
            return 1
        finally:
            for task in self.state.background:
                if not task.done():
                    task.cancel()

    async def run_list(self, cl: ast.CommandList, io: IO) -> int:
        status = self.state.status
        for and_or, background in cl.items:
            if background:
                sub = Interpreter(self.state.fork())
                task = asyncio.create_task(sub._run_and_or_guarded(and_or, io))
                self.state.background.append(task)
                status = 0
            else:
                status = await self.run_and_or(and_or, io)
            self.state.status = status
        return status

    async def _run_and_or_guarded(self, and_or: ast.AndOr, io: IO) -> int:
        try:
            return await self.run_and_or(and_or, io)
        except (ShellExit, BrokenPipe):
            return 0

    async def run_and_or(self, node: ast.AndOr, io: IO) -> int:
        status = await self.run_pipeline(node.first, io)
        for op, pipeline in node.rest:
            self.state.status = status
            if (op == "&&" and status == 0) or (op == "||" and status != 0):
                status = await self.run_pipeline(pipeline, io)
        return status

    async def run_pipeline(self, node: ast.Pipeline, io: IO) -> int:
        if len(node.commands) == 1:
            status = await self.run_command(node.commands[0], io)
        else:
            status = await self._run_multi(node.commands, io)
        if node.negate:
            status = 0 if status else 1
        self.state.status = status
        return status

    async def _run_multi(self, commands: list[ast.Command], io: IO) -> int:
        pipes = [Pipe() for _ in commands[:-1]]
        tasks = []
        for idx, cmd in enumerate(commands):
            stdin: Input = pipes[idx - 1] if idx > 0 else io.stdin
            stdout: Output = pipes[idx] if idx < len(pipes) else io.stdout
            sub = Interpreter(self.state.fork())
            tasks.append(
                asyncio.create_task(
                    sub._pipeline_stage(
                        cmd,
                        IO(stdin, stdout, io.stderr),
                        pipes[idx] if idx < len(pipes) else None,
                        pipes[idx - 1] if idx > 0 else None,
                    )
                )
            )
        results = await asyncio.gather(*tasks)
        return results[-1]

    async def _pipeline_stage(
        self, cmd: ast.Command, io: IO, out_pipe: Pipe | None, in_pipe: Pipe | None
    ) -> int:
        try:
            return await self.run_command(cmd, io)
        except ShellExit as exc:
            return exc.code
        except BrokenPipe:
            return 141  # 128 + SIGPIPE
        finally:
            if out_pipe is not None:
                out_pipe.close()
            if in_pipe is not None:
                in_pipe.close_reader()

    # ---------------------------------------------------------------- commands
    async def run_command(self, cmd: ast.Command, io: IO) -> int:
        if isinstance(cmd, ast.SimpleCommand):
            return await self.run_simple(cmd, io)
        try:
            io = await self.apply_redirects(cmd.redirects, io)
        except _RedirectFailed:
            return 1
        if isinstance(cmd, ast.Group):
            if cmd.subshell:
                sub = Interpreter(self.state.fork())
                try:
                    return await sub.run_list(cmd.body, io)
                except ShellExit as exc:
                    return exc.code
            return await self.run_list(cmd.body, io)
        if isinstance(cmd, ast.If):
            for cond, body in cmd.branches:
                if await self.run_list(cond, io) == 0:
                    return await self.run_list(body, io)
            if cmd.else_body is not None:
                return await self.run_list(cmd.else_body, io)
            return 0
        if isinstance(cmd, ast.Loop):
            status = 0
            while True:
                cond = await self.run_list(cmd.cond, io)
                if (cond == 0) == cmd.until:
                    return status
                status = await self.run_list(cmd.body, io)
                await asyncio.sleep(0)
        if isinstance(cmd, ast.For):
            if cmd.items is None:
                values = list(self.state.positional)
            else:
                values = []
                for w in cmd.items:
                    values.extend(await self.expand_fields(w))
            status = 0
            for value in values:
                self.state.env[cmd.var] = value
                status = await self.run_list(cmd.body, io)
            return status
        raise AssertionError(f"unknown node {cmd!r}")

    async def run_simple(self, cmd: ast.SimpleCommand, io: IO) -> int:
        argv: list[str] = []
        for w in cmd.words:
            argv.extend(await self.expand_fields(w))
        assigns = [(name, await self.expand_single(value)) for name, value in cmd.assigns]
        try:
            io = await self.apply_redirects(cmd.redirects, io)
        except _RedirectFailed:
            return 1
        if not argv:
            for name, value in assigns:
                self.state.env[name] = value
            return self.state.status if cmd.words else 0
        name = argv[0]
        builtin = BUILTINS.get(name)
        if builtin is not None:
            saved = {k: self.state.env.get(k) for k, _ in assigns}
            for k, v in assigns:
                self.state.env[k] = v
            try:
                return await builtin(self, argv, io)
            finally:
                for k, v in saved.items():
                    if v is None:
                        self.state.env.pop(k, None)
                    else:
                        self.state.env[k] = v
        env = dict(self.state.env)
        env.update(assigns)
        return await self.exec_external(argv, env, io)

    async def exec_external(self, argv: list[str], env: dict[str, str], io: IO) -> int:
        spec = self.resolve_command(argv[0], env)
        if spec is None:
            io.stderr.write(f"{SH}: {argv[0]}: not found\n")
            return 127
        inv = Invocation(
            self.device, argv, env, self.state.cwd, self.state.uid, io.stdin, io.stdout, io.stderr
        )
        try:
            return await run_command(spec, inv)
        except BrokenPipe:
            return 141

    def resolve_command(self, name: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
        api = self.device.api_level
        if "/" in name:
            path = join_path(self.state.cwd, name)
            try:
                node = self.device.fs.lookup(path, self.state.uid)
            except FsError:
                return None
            if not node.is_file or not (node.mode & 0o111):
                return None
            return lookup(path.rsplit("/", 1)[-1], api)
        return lookup(name, api)

    # ---------------------------------------------------------------- redirections
    async def apply_redirects(self, redirects: list[ast.Redirect], io: IO) -> IO:
        for r in redirects:
            target = await self.expand_single(r.target)
            if r.op in (">&", "<&"):
                if target == "-":
                    io = io.with_fd(r.fd, NullOutput() if r.op == ">&" else BytesInput())
                    continue
                if target.isdigit():
                    src = io.get(int(target))
                    if src is None:
                        io.stderr.write(f"{SH}: {target}: bad file descriptor\n")
                        raise _RedirectFailed
                    io = io.with_fd(r.fd, src)
                    continue
                # ">& file" is the csh form of "> file 2>&1"
                out = self._open_output(target, io, append=False)
                io = io.with_fd(1, out).with_fd(2, out)
                continue
            if r.op == "<":
                if target == "/dev/null":
                    io = io.with_fd(r.fd, BytesInput())
                    continue
                try:
                    data = self.device.fs.read_file(
                        join_path(self.state.cwd, target), self.state.uid
                    )
                except FsError as exc:
                    io.stderr.write(f"{SH}: can't open {target}: {exc.reason}\n")
                    raise _RedirectFailed from None
                io = io.with_fd(r.fd, BytesInput(data))
                continue
            out = self._open_output(target, io, append=(r.op == ">>"))
            io = io.with_fd(r.fd, out)
        return io

    def _open_output(self, target: str, io: IO, append: bool) -> Output:
        if target in ("/dev/null", "/dev/zero"):
            return NullOutput()
        if target in ("/dev/stderr",):
            return io.stderr
        if target in ("/dev/stdout",):
            return io.stdout
        try:
            node = self.device.fs.open_for_write(
                join_path(self.state.cwd, target), self.state.uid, append=append
            )
        except FsError as exc:
            io.stderr.write(f"{SH}: can't create {target}: {exc.reason}\n")
            raise _RedirectFailed from None
        return _FileOutput(node)

    # ---------------------------------------------------------------- expansion
    async def expand_single(self, word: ast.Word) -> str:
        out = []
        for part in word.parts:
            if isinstance(part, ast.Lit):
                out.append(part.text)
            else:
                out.append(await self._expand_part(part))
        return "".join(out)

    async def expand_fields(self, word: ast.Word) -> list[str]:
        fields: list[tuple[str, bool]] = []
        cur: list[str] = []
        active = False
        globbable = False
        for part in word.parts:
            if isinstance(part, ast.Lit):
                cur.append(part.text)
                active = active or part.quoted or bool(part.text)
                if not part.quoted and any(c in part.text for c in "*?["):
                    globbable = True
                continue
            value = await self._expand_part(part)
            if part.quoted:
                cur.append(value)
                active = True
                continue
            if not value:
                continue
            pieces = _IFS.split(value)
            for idx, piece in enumerate(pieces):
                if idx > 0 and (active or cur):
                    fields.append(("".join(cur), globbable))
                    cur, active, globbable = [], False, False
                if piece:
                    cur.append(piece)
                    active = True
        if active or cur:
            fields.append(("".join(cur), globbable))
        result: list[str] = []
        for text, may_glob in fields:
            if may_glob:
                matches = self.device.fs.glob(text, self.state.cwd, self.state.uid)
                if matches:
                    result.extend(matches)
                    continue
            result.append(text)
        return result

    async def _expand_part(self, part: ast.Param | ast.CmdSub | ast.Arith) -> str:
        if isinstance(part, ast.CmdSub):
            return await self.command_substitution(part.source)
        if isinstance(part, ast.Arith):
            return str(arithmetic(part.expr, self.state.env))
        value = self._param_value(part.name)
        if part.op == "#":
            return str(len(value or ""))
        if part.op in (":-", "-"):
            unset = value is None or (part.op == ":-" and value == "")
            return await self.expand_single(part.arg) if unset and part.arg else (value or "")
        if part.op in (":=", "="):
            unset = value is None or (part.op == ":=" and value == "")
            if unset and part.arg:
                value = await self.expand_single(part.arg)
                self.state.env[part.name] = value
            return value or ""
        if part.op in (":+", "+"):
            present = value is not None and (part.op == "+" or value != "")
            return await self.expand_single(part.arg) if present and part.arg else ""
        return value or ""

    def _param_value(self, name: str) -> str | None:
        if name == "?":
            return str(self.state.status)
        if name == "$":
            return str(self.device.shell_pid())
        if name == "#":
            return str(len(self.state.positional))
        if name == "0":
            return SH
        if name.isdigit():
            idx = int(name) - 1
            return self.state.positional[idx] if idx < len(self.state.positional) else None
        if name in ("@", "*"):
            return " ".join(self.state.positional)
        if name == "!":
            return str(self.device.shell_pid())
        if name == "-":
            return ""
        return self.state.env.get(name)

    async def command_substitution(self, source: str) -> str:
        sub = Interpreter(self.state.fork())
        buf = BufferOutput()
        status = await sub.run_source(source, IO(BytesInput(), buf, NullOutput()))
        self.state.status = status
        return buf.text().rstrip("\n")


class _RedirectFailed(Exception):
    pass


_ARITH_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_]\w*)|(\*\*|<=|>=|==|!=|&&|\|\||[-+*/%()<>!]))")


def arithmetic(expr: str, env: dict[str, str]) -> int:
    """$(( )) with integers, variables and the usual C operators (mksh semantics)."""
    tokens: list[str] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _ARITH_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ast.ShellSyntaxError(f"{expr}: bad arithmetic expression")
        num, name, op = m.groups()
        if num is not None:
            tokens.append(num)
        elif name is not None:
            value = env.get(name, "0") or "0"
            tokens.append(str(int(value)) if value.lstrip("-").isdigit() else "0")
        else:
            tokens.append({"&&": " and ", "||": " or ", "!": " not ", "/": "//"}.get(op, op))
        pos = m.end()
    try:
        return int(eval(" ".join(tokens), {"__builtins__": {}}, {}))
    except Exception as exc:
        raise ast.ShellSyntaxError(f"{expr}: {exc}") from None


def new_shell_state(
    device: VirtualDevice, uid: int, cwd: str = "/", env: dict[str, str] | None = None
) -> ShellState:
    base = {
        "PATH": DEFAULT_PATH,
        "HOME": "/",
        "SHELL": SH,
        "TMPDIR": "/data/local/tmp",
        "ANDROID_DATA": "/data",
        "ANDROID_ROOT": "/system",
        "ANDROID_STORAGE": "/storage",
        "EXTERNAL_STORAGE": "/sdcard",
        "USER": "shell" if uid == 2000 else ("root" if uid == 0 else f"u0_a{uid - 10000}"),
        "HOSTNAME": device.props.get("ro.product.device", "localhost"),
    }
    if env:
        base.update(env)
    return ShellState(device, uid, cwd, base)


async def run_shell(
    device: VirtualDevice,
    source: str,
    io: IO,
    uid: int = 2000,
    cwd: str = "/",
    env: dict[str, str] | None = None,
) -> int:
    """Run one ``sh -c`` style command line; the entry point of the shell services."""
    state = new_shell_state(device, uid, cwd, env)
    return await Interpreter(state).run_source(source, io)
