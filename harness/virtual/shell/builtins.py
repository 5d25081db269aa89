"""Shell builtins (mksh): the commands the shell runs itself, not found in /system/bin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.virtual.fs import FsError, join_path
from harness.virtual.shell.streams import LineReader

if TYPE_CHECKING:
    from harness.virtual.shell.interpreter import IO, Interpreter

SH = "/system/bin/sh"


class ShellExit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code & 0xFF
        super().__init__(code)


Builtin = Callable[["Interpreter", list[str], "IO"], Awaitable[int]]
BUILTINS: dict[str, Builtin] = {}


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        for n in names:
            BUILTINS[n] = fn
        return fn

    return register


@builtin(":", "true")
async def _true(sh: Interpreter, argv: list[str], io: IO) -> int:
    return 0


@builtin("false")
async def _false(sh: Interpreter, argv: list[str], io: IO) -> int:
    return 1


def _unescape(text: str) -> tuple[str, bool]:
    """echo -e escapes; returns (text, stop) where \\c stops output."""
    out = []
    i = 0
    mapping = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "\\": "\\",
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
        "e": "\x1b",
    }
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "c":
                return "".join(out), True
            if n in mapping:
                out.append(mapping[n])
                i += 2
                continue
            if n == "0":
                j = i + 2
                digits = ""
                while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                    digits += text[j]
                    j += 1
                out.append(chr(int(digits or "0", 8)))
                i = j
                continue
        out.append(c)
        i += 1
    return "".join(out), False


@builtin("echo")
async def _echo(sh: Interpreter, argv: list[str], io: IO) -> int:
    args = argv[1:]
    newline = True
    escapes = False
    while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
        flag = args.pop(0)
        if "n" in flag:
            newline = False
        if "e" in flag:
            escapes = True
        if flag == "-E":
            escapes = False
    text = " ".join(args)
    if escapes:
        text, stop = _unescape(text)
        if stop:
            newline = False
    io.stdout.write(text + ("\n" if newline else ""))
    return 0


@builtin("exit")
async def _exit(sh: Interpreter, argv: list[str], io: IO) -> int:
    code = sh.state.status
    if len(argv) > 1:
        try:
            code = int(argv[1])
        except ValueError:
            io.stderr.write(f"{SH}: exit: {argv[1]}: bad number\n")
            code = 1
    raise ShellExit(code)


@builtin("cd")
async def _cd(sh: Interpreter, argv: list[str], io: IO) -> int:
    target = argv[1] if len(argv) > 1 else sh.state.env.get("HOME", "/")
    path = join_path(sh.state.cwd, target)
    try:
        node = sh.device.fs.lookup(path, sh.state.uid)
    except FsError as exc:
        io.stderr.write(f"{SH}: cd: {target}: {exc.reason}\n")
        return 2
    if not node.is_dir:
        io.stderr.write(f"{SH}: cd: {target}: Not a directory\n")
        return 2
    sh.state.cwd = path
    sh.state.env["PWD"] = path
    return 0


@builtin("pwd")
async def _pwd(sh: Interpreter, argv: list[str], io: IO) -> int:
    io.stdout.write(sh.state.cwd + "\n")
    return 0


@builtin("export")
async def _export(sh: Interpreter, argv: list[str], io: IO) -> int:
    for arg in argv[1:]:
        if arg.startswith("-"):
            continue
        if "=" in arg:
            k, v = arg.split("=", 1)
            sh.state.env[k] = v
    if len(argv) == 1:
        for k, v in sorted(sh.state.env.items()):
            io.stdout.write(f"export {k}={v}\n")
    return 0


@builtin("unset")
async def _unset(sh: Interpreter, argv: list[str], io: IO) -> int:
    for arg in argv[1:]:
        sh.state.env.pop(arg, None)
    return 0


@builtin("set", "trap", "umask", "ulimit", "local", "readonly")
async def _ignored(sh: Interpreter, argv: list[str], io: IO) -> int:
    if argv[0] == "set" and len(argv) > 1 and argv[1] == "--":
        sh.state.positional = argv[2:]
    return 0


@builtin("shift")
async def _shift(sh: Interpreter, argv: list[str], io: IO) -> int:
    n = int(argv[1]) if len(argv) > 1 else 1
    sh.state.positional = sh.state.positional[n:]
    return 0


@builtin("read")
async def _read(sh: Interpreter, argv: list[str], io: IO) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")] or ["REPLY"]
    line = await LineReader(io.stdin).readline()
    if not line:
        return 1
    text = line.decode("utf-8", errors="replace").rstrip("\n")
    values = text.split(None, len(names) - 1) if len(names) > 1 else [text.strip()]
    for idx, name in enumerate(names):
        sh.state.env[name] = values[idx] if idx < len(values) else ""
    return 0


@builtin("eval")
async def _eval(sh: Interpreter, argv: list[str], io: IO) -> int:
    from harness.virtual.shell import parser as ast

    try:
        program = ast.parse(" ".join(argv[1:]))
    except ast.ShellSyntaxError as exc:
        io.stderr.write(f"{SH}: eval: syntax error: {exc}\n")
        return 1
    return await sh.run_list(program, io)


@builtin("exec")
async def _exec(sh: Interpreter, argv: list[str], io: IO) -> int:
    if len(argv) == 1:
        return 0
    status = await sh.exec_external(argv[1:], dict(sh.state.env), io)
    raise ShellExit(status)


@builtin("sh", "mksh")
async def _sh(sh: Interpreter, argv: list[str], io: IO) -> int:
    from harness.virtual.shell.interpreter import Interpreter

    args = argv[1:]
    sub = Interpreter(sh.state.fork())
    if args and args[0] == "-c":
        if len(args) < 2:
            io.stderr.write(f"{SH}: -c: option requires an argument\n")
            return 1
        sub.state.positional = args[3:] if len(args) > 3 else []
        return await sub.run_source(args[1], io)
    if args:
        try:
            source = sh.device.fs.read_file(join_path(sh.state.cwd, args[0]), sh.state.uid)
        except FsError as exc:
            io.stderr.write(f"{SH}: {args[0]}: {exc.reason}\n")
            return 127
        sub.state.positional = args[1:]
        return await sub.run_source(source.decode("utf-8", errors="replace"), io)
    from harness.virtual.shell.streams import read_all

    return await sub.run_source((await read_all(io.stdin)).decode(errors="replace"), io)


@builtin("command", "type", "which")
async def _command(sh: Interpreter, argv: list[str], io: IO) -> int:
    args = argv[1:]
    verbose = argv[0] == "type"
    if argv[0] == "command":
        if args and args[0] in ("-v", "-V"):
            verbose = args[0] == "-V"
            args = args[1:]
        else:
            if not args:
                return 0
            return await sh.exec_external(args, dict(sh.state.env), io)
    status = 0
    for name in args:
        if name in BUILTINS and argv[0] != "which":
            io.stdout.write(f"{name} is a shell builtin\n" if verbose else f"{name}\n")
            continue
        spec = sh.resolve_command(name, sh.state.env)
        if spec is None:
            status = 1
            if verbose:
                io.stdout.write(f"{name} not found\n")
            continue
        path = name if "/" in name else f"/system/bin/{name}"
        io.stdout.write(f"{name} is {path}\n" if verbose else f"{path}\n")
    return status


@builtin("wait")
async def _wait(sh: Interpreter, argv: list[str], io: IO) -> int:
    tasks = [t for t in sh.state.background if not t.done()]
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    return 0


def _test(args: list[str]) -> bool:
    """POSIX test; raises ValueError on a malformed expression."""
    if not args:
        return False
    if args[0] == "!":
        return not _test(args[1:])
    if "-o" in args:
        i = args.index("-o")
        return _test(args[:i]) or _test(args[i + 1 :])
    if "-a" in args:
        i = args.index("-a")
        return _test(args[:i]) and _test(args[i + 1 :])
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, val = args
        if op == "-z":
            return val == ""
        if op == "-n":
            return val != ""
        return _file_test(op, val)
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {
            "-eq": int.__eq__,
            "-ne": int.__ne__,
            "-lt": int.__lt__,
            "-le": int.__le__,
            "-gt": int.__gt__,
            "-ge": int.__ge__,
        }
        if op in ints:
            return bool(ints[op](int(a), int(b)))
    raise ValueError(" ".join(args))


_FS_CONTEXT: list[tuple[object, int, str]] = []


def _file_test(op: str, path: str) -> bool:
    device, uid, cwd = _FS_CONTEXT[-1]
    fs = device.fs  # type: ignore[attr-defined]
    try:
        node = fs.lookup(join_path(cwd, path), uid)
    except FsError:
        return False
    checks = {
        "-e": lambda: True,
        "-f": lambda: node.is_file,
        "-d": lambda: node.is_dir,
        "-s": lambda: node.size > 0,
        "-r": lambda: fs.may(node, uid, 4),
        "-w": lambda: fs.may(node, uid, 2),
        "-x": lambda: fs.may(node, uid, 1),
        "-L": lambda: node.is_link,
        "-h": lambda: node.is_link,
    }
    if op not in checks:
        raise ValueError(op)
    return bool(checks[op]())


@builtin("test", "[")
async def _test_builtin(sh: Interpreter, argv: list[str], io: IO) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            io.stderr.write(f"{SH}: [: missing ]\n")
            return 2
        args = args[:-1]
    _FS_CONTEXT.append((sh.device, sh.state.uid, sh.state.cwd))
    try:
        return 0 if _test(args) else 1
    except ValueError as exc:
        io.stderr.write(f"{SH}: {argv[0]}: {exc}: unexpected operator\n")
        return 2
    finally:
        _FS_CONTEXT.pop()
