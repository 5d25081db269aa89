"""The toybox subset: echo true false cat ls rm mkdir md5sum id ps sleep and a few more.

Messages follow toybox (``cat: /x: No such file or directory``, exit 1).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import stat as st
import time

from harness.virtual.fs import SHELL_UID, FsError, join_path
from harness.virtual.shell.registry import Invocation, command, lookup, run_command

TOYBOX_APPLETS = [
    "basename",
    "cat",
    "chmod",
    "cp",
    "date",
    "df",
    "dirname",
    "du",
    "echo",
    "env",
    "false",
    "grep",
    "head",
    "id",
    "ls",
    "md5sum",
    "mkdir",
    "mv",
    "printf",
    "ps",
    "rm",
    "rmdir",
    "sed",
    "sha1sum",
    "sleep",
    "sort",
    "stat",
    "tail",
    "tee",
    "touch",
    "tr",
    "true",
    "uname",
    "uptime",
    "wc",
    "which",
    "xargs",
    "yes",
    "getprop",
    "setprop",
    "cut",
    "uniq",
    "seq",
]


def _split_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    rest: list[str] = []
    for idx, a in enumerate(args):
        if a == "--":
            rest.extend(args[idx + 1 :])
            break
        if a.startswith("-") and len(a) > 1 and all(c in known for c in a[1:]):
            flags.update(a[1:])
        else:
            rest.append(a)
    return flags, rest


@command("toybox")
async def toybox(inv: Invocation) -> int:
    if not inv.args:
        inv.outln(" ".join(sorted(TOYBOX_APPLETS)))
        return 0
    name = inv.args[0]
    spec = lookup(name, inv.device.api_level)
    if spec is None or name not in TOYBOX_APPLETS:
        inv.errln(f"toybox: Unknown command {name}")
        return 1
    return await run_command(spec, inv.sub(inv.args))


@command("echo", toybox=True)
def echo(inv: Invocation) -> int:
    args = list(inv.args)
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    inv.out(" ".join(args) + ("\n" if newline else ""))
    return 0


@command("true", toybox=True)
def true(inv: Invocation) -> int:
    return 0


@command("false", toybox=True)
def false(inv: Invocation) -> int:
    return 1


@command("cat", toybox=True)
async def cat(inv: Invocation) -> int:
    files = [a for a in inv.args if a != "-u"]
    if not files or files == ["-"]:
        while True:
            chunk = await inv.stdin.read()
            if not chunk:
                return 0
            inv.out(chunk)
            await inv.stdout.drain()
    status = 0
    for name in files:
        if name == "-":
            inv.out(await inv.read_stdin())
            continue
        try:
            data = inv.device.fs.read_file(inv.resolve(name), inv.uid)
        except FsError as exc:
            inv.errln(f"cat: {name}: {exc.reason}")
            status = 1
            continue
        step = 256 * 1024
        for start in range(0, len(data), step):
            inv.out(data[start : start + step])
            await inv.stdout.drain()
    return status


def _mode_string(mode: int) -> str:
    return st.filemode(mode)


def _ls_time(mtime: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))


_USERS = {0: "root", 1000: "system", 2000: "shell", 9997: "everybody"}


def _user(uid: int) -> str:
    if uid >= 10000:
        return f"u0_a{uid - 10000}"
    return _USERS.get(uid, str(uid))


@command("ls", toybox=True)
def ls(inv: Invocation) -> int:
    flags, paths = _split_flags(inv.args, "laRdn1AFhsi")
    paths = paths or ["."]
    fs = inv.device.fs
    status = 0
    multiple = len(paths) > 1

    def fmt(name: str, node) -> str:  # type: ignore[no-untyped-def]
        if "l" in flags:
            link = f" -> {node.target}" if node.is_link else ""
            owner = str(node.uid) if "n" in flags else _user(node.uid)
            group = str(node.gid) if "n" in flags else _user(node.gid)
            return (
                f"{_mode_string(node.mode)} {2 if node.is_dir else 1:>2} {owner:<6} "
                f"{group:<6} {node.size:>8} {_ls_time(node.mtime)} {name}{link}"
            )
        return name

    for idx, p in enumerate(paths):
        path = inv.resolve(p)
        try:
            node = fs.lookup(path, inv.uid, follow="l" not in flags or p.endswith("/"))
        except FsError as exc:
            inv.errln(f"ls: {p}: {exc.reason}")
            status = 1
            continue
        if not node.is_dir or "d" in flags:
            inv.outln(fmt(p, node))
            continue
        try:
            entries = fs.listdir(path, inv.uid)
        except FsError as exc:
            inv.errln(f"ls: {p}: {exc.reason}")
            status = 1
            continue
        if multiple:
            inv.outln(("\n" if idx else "") + f"{p}:")
        if "l" in flags:
            inv.outln(f"total {sum(max(1, n.size // 1024) for _, n in entries)}")
        for name, child in entries:
            if name.startswith(".") and not ({"a", "A"} & flags):
                continue
            inv.outln(fmt(name, child))
    return status


@command("rm", toybox=True)
def rm(inv: Invocation) -> int:
    flags, paths = _split_flags(inv.args, "rfRiv")
    recursive = bool({"r", "R"} & flags)
    status = 0
    for p in paths:
        try:
            node = inv.device.fs.lookup(inv.resolve(p), inv.uid, follow=False)
            if node.is_dir and not recursive:
                inv.errln(f"rm: {p}: Is a directory")
                status = 1
                continue
            inv.device.fs.remove(inv.resolve(p), inv.uid, recursive=recursive)
        except FsError as exc:
            if "f" in flags and exc.reason == "No such file or directory":
                continue
            inv.errln(f"rm: {p}: {exc.reason}")
            status = 1
    return status


@command("rmdir", toybox=True)
def rmdir(inv: Invocation) -> int:
    status = 0
    for p in inv.args:
        try:
            inv.device.fs.remove(inv.resolve(p), inv.uid)
        except FsError as exc:
            inv.errln(f"rmdir: {p}: {exc.reason}")
            status = 1
    return status


@command("mkdir", toybox=True)
def mkdir(inv: Invocation) -> int:
    args = list(inv.args)
    parents = False
    mode = 0o777 & ~0o077 if inv.uid == SHELL_UID else 0o755
    paths = []
    it = iter(args)
    for a in it:
        if a == "-p":
            parents = True
        elif a == "-m":
            mode = int(next(it, "755"), 8)
        elif a.startswith("-m"):
            mode = int(a[2:], 8)
        else:
            paths.append(a)
    status = 0
    for p in paths:
        try:
            inv.device.fs.mkdir(inv.resolve(p), inv.uid, mode, parents=parents)
        except FsError as exc:
            inv.errln(f"mkdir: {p}: {exc.reason}")
            status = 1
    return status


@command("touch", toybox=True)
def touch(inv: Invocation) -> int:
    status = 0
    for p in inv.args:
        if p.startswith("-"):
            continue
        try:
            node = inv.device.fs.open_for_write(inv.resolve(p), inv.uid, append=True)
            node.mtime = inv.device.clock.wall_ms() // 1000
        except FsError as exc:
            inv.errln(f"touch: {p}: {exc.reason}")
            status = 1
    return status


def _digest(inv: Invocation, algo: str, tool: str) -> int:
    status = 0
    for p in inv.args or ["-"]:
        try:
            data = inv.device.fs.read_file(inv.resolve(p), inv.uid)
        except FsError as exc:
            inv.errln(f"{tool}: {p}: {exc.reason}")
            status = 1
            continue
        inv.outln(f"{hashlib.new(algo, data).hexdigest()}  {p}")
    return status


@command("md5sum", toybox=True)
async def md5sum(inv: Invocation) -> int:
    if not inv.args:
        inv.outln(f"{hashlib.md5(await inv.read_stdin()).hexdigest()}  -")
        return 0
    return _digest(inv, "md5", "md5sum")


@command("sha1sum", toybox=True)
def sha1sum(inv: Invocation) -> int:
    return _digest(inv, "sha1", "sha1sum")


@command("id", toybox=True)
def id_(inv: Invocation) -> int:
    flags, _ = _split_flags(inv.args, "ugGnrZ")
    if {"u", "g"} & flags:
        value = inv.uid  # apps and the shell have gid == uid
        inv.outln(_user(value) if "n" in flags else str(value))
        return 0
    if inv.uid == SHELL_UID:
        inv.outln(
            "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),"
            "1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),"
            "3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),"
            "3011(uhid),3012(readtracefs) context=u:r:shell:s0"
        )
    else:
        name = _user(inv.uid)
        inv.outln(f"uid={inv.uid}({name}) gid={inv.uid}({name}) groups={inv.uid}({name})")
    return 0


@command("ps", toybox=True)
def ps(inv: Invocation) -> int:
    # The -A / default layout of toybox ps (uiautomator2 needs >= 9 columns, pid in field 1).
    inv.outln("USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME")
    for proc in inv.device.processes():
        inv.outln(
            f"{proc.user:<12} {proc.pid:>5} {proc.ppid:>5} {proc.vsz:>7} {proc.rss:>6} "
            f"{proc.wchan:<16} 0 S {proc.name}"
        )
    return 0


@command("sleep", toybox=True)
async def sleep(inv: Invocation) -> int:
    total = 0.0
    for a in inv.args:
        try:
            total += float(a.rstrip("s"))
        except ValueError:
            inv.errln(f"sleep: invalid time interval '{a}'")
            return 1
    # Device time: a sped-up virtual clock sleeps proportionally less on the host.
    await asyncio.sleep(inv.device.clock.real_delay_s(total * 1000))
    return 0


@command("uname", toybox=True)
def uname(inv: Invocation) -> int:
    if "-a" in inv.args:
        inv.outln("Linux localhost 5.15.137-android14 #1 SMP PREEMPT aarch64 Toybox")
    elif "-r" in inv.args:
        inv.outln("5.15.137-android14")
    elif "-m" in inv.args:
        inv.outln("aarch64")
    else:
        inv.outln("Linux")
    return 0


@command("date", toybox=True)
def date(inv: Invocation) -> int:
    now = inv.device.clock.wall_ms() / 1000
    fmt = next((a[1:] for a in inv.args if a.startswith("+")), "%a %b %e %H:%M:%S %Z %Y")
    fmt = fmt.replace("%N", f"{int((now % 1) * 1e9):09d}")
    inv.outln(
        time.strftime(fmt, time.gmtime(now)).replace("UTC", "GMT")
        if "%Z" in fmt
        else time.strftime(fmt, time.gmtime(now))
    )
    return 0


@command("uptime", toybox=True)
def uptime(inv: Invocation) -> int:
    secs = inv.device.clock.elapsed_ms() // 1000
    now = time.strftime("%H:%M:%S", time.gmtime(inv.device.clock.wall_ms() / 1000))
    inv.outln(
        f" {now} up {secs // 86400} days, {secs % 86400 // 3600:2d}:{secs % 3600 // 60:02d},"
        f"  0 users,  load average: 0.00, 0.00, 0.00"
    )
    return 0


@command("wc", toybox=True)
async def wc(inv: Invocation) -> int:
    flags, paths = _split_flags(inv.args, "lwc")
    datas = (
        [(p, inv.device.fs.read_file(inv.resolve(p), inv.uid)) for p in paths]
        if paths
        else [("", await inv.read_stdin())]
    )
    for name, data in datas:
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        shown = [str(counts[f]) for f in "lwc" if not flags or f in flags]
        inv.outln(" ".join(shown) + (f" {name}" if name else ""))
    return 0


@command("head", "tail", toybox=True)
async def head_tail(inv: Invocation) -> int:
    n = 10
    paths = []
    args = list(inv.args)
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-n" and i + 1 < len(args):
            n = int(args[i + 1])
            i += 2
            continue
        if a.startswith("-n"):
            n = int(a[2:])
        elif a.startswith("-") and a[1:].isdigit():
            n = int(a[1:])
        else:
            paths.append(a)
        i += 1
    if paths:
        data = inv.device.fs.read_file(inv.resolve(paths[0]), inv.uid)
    else:
        data = await inv.read_stdin()
    lines = data.splitlines(keepends=True)
    chosen = lines[:n] if inv.name == "head" else lines[-n:] if n else []
    inv.out(b"".join(chosen))
    return 0


@command("grep", toybox=True)
async def grep(inv: Invocation) -> int:
    """toybox grep: -i -v -c -q -F -E -w -l -n -h -o -s and -m N; exit 0 match, 1 none, 2 error."""
    args = list(inv.args)
    max_count: int | None = None
    rest_args: list[str] = []
    it = iter(args)
    for a in it:
        if a == "-m":
            max_count = int(next(it, "0"))
        elif a.startswith("-m") and a[2:].isdigit():
            max_count = int(a[2:])
        elif a == "-e":
            rest_args.append(next(it, ""))
        else:
            rest_args.append(a)
    flags, rest = _split_flags(rest_args, "ivcqFEwlnsho")
    if not rest:
        inv.errln("usage: grep [-icvqFE] PATTERN [FILE...]")
        return 2
    pattern, paths = rest[0], rest[1:]
    expr = re.escape(pattern) if "F" in flags else pattern
    if "w" in flags:
        expr = rf"\b{expr}\b"
    try:
        rx = re.compile(expr, re.IGNORECASE if "i" in flags else 0)
    except re.error as exc:
        inv.errln(f"grep: bad regex '{pattern}': {exc}")
        return 2
    status = 1
    error = False
    sources: list[tuple[str, bytes]] = []
    if not paths:
        sources.append(("(standard input)", await inv.read_stdin()))
    for p in paths:
        try:
            sources.append((p, inv.device.fs.read_file(inv.resolve(p), inv.uid)))
        except FsError as exc:
            error = True
            if "s" not in flags:
                inv.errln(f"grep: {p}: {exc.reason}")
    show_name = len(sources) > 1 and "h" not in flags
    for name, data in sources:
        matched = 0
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if max_count is not None and matched >= max_count:
                break
            if bool(rx.search(line)) == ("v" in flags):
                continue
            matched += 1
            if "q" in flags:
                return 0
            if "c" in flags or "l" in flags:
                continue
            prefix = (f"{name}:" if show_name else "") + (f"{number}:" if "n" in flags else "")
            if "o" in flags and "v" not in flags:
                for m in rx.finditer(line):
                    inv.outln(prefix + m.group(0))
            else:
                inv.outln(prefix + line)
        if "c" in flags:
            inv.outln((f"{name}:" if show_name else "") + str(matched))
        if "l" in flags and matched:
            inv.outln(name)
        if matched:
            status = 0
    return 2 if error and status else status


@command("chmod", toybox=True)
def chmod(inv: Invocation) -> int:
    if len(inv.args) < 2:
        inv.errln("chmod: Need 2 arguments")
        return 1
    mode_text, paths = inv.args[0], inv.args[1:]
    status = 0
    for p in paths:
        try:
            node = inv.device.fs.lookup(inv.resolve(p), inv.uid)
            if inv.uid not in (0, node.uid):
                raise FsError(1, p)
            node.mode = (node.mode & ~0o7777) | int(mode_text, 8)
        except (FsError, ValueError) as exc:
            inv.errln(f"chmod: {p}: {getattr(exc, 'reason', exc)}")
            status = 1
    return status


@command("cp", toybox=True)
def cp(inv: Invocation) -> int:
    _flags, paths = _split_flags(inv.args, "rRfpa")
    if len(paths) < 2:
        inv.errln("cp: Needs 2 arguments")
        return 1
    *srcs, dst = paths
    fs = inv.device.fs
    status = 0
    for src in srcs:
        target = inv.resolve(dst)
        try:
            if fs.exists(target, inv.uid) and fs.lookup(target, inv.uid).is_dir:
                target = join_path(target, src.rsplit("/", 1)[-1])
            fs.write_file(target, fs.read_file(inv.resolve(src), inv.uid), inv.uid)
        except FsError as exc:
            inv.errln(f"cp: {src}: {exc.reason}")
            status = 1
    return status


@command("mv", toybox=True)
def mv(inv: Invocation) -> int:
    status = cp(inv)
    if status == 0:
        for src in inv.args[:-1]:
            if not src.startswith("-"):
                inv.device.fs.remove(inv.resolve(src), inv.uid, recursive=True)
    return status


@command("stat", toybox=True)
def stat_(inv: Invocation) -> int:
    fmt = None
    paths = []
    it = iter(inv.args)
    for a in it:
        if a in ("-c", "--format"):
            fmt = next(it, "")
        elif a.startswith("-c"):
            fmt = a[2:]
        else:
            paths.append(a)
    status = 0
    for p in paths:
        try:
            node = inv.device.fs.lookup(inv.resolve(p), inv.uid)
        except FsError as exc:
            inv.errln(f"stat: '{p}': {exc.reason}")
            status = 1
            continue
        if fmt:
            out = (
                fmt.replace("%s", str(node.size))
                .replace("%n", p)
                .replace("%a", f"{node.mode & 0o7777:o}")
                .replace("%Y", str(node.mtime))
                .replace("%u", str(node.uid))
                .replace("%g", str(node.gid))
                .replace("%F", "directory" if node.is_dir else "regular file")
            )
            inv.outln(out)
        else:
            inv.outln(
                f"  File: {p}\n  Size: {node.size}\nAccess: ({node.mode & 0o7777:04o}/"
                f"{_mode_string(node.mode)})  Uid: ({node.uid:5d}/{_user(node.uid):>8})"
            )
    return status


_PRINTF_SPEC = re.compile(r"%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([sdiouxXcbeEfgG%])")


def _printf_escapes(text: str) -> str:
    return re.sub(r"\\(0[0-7]{0,3}|[abefnrtv\\\"']|x[0-9a-fA-F]{1,2})",
                  lambda m: _escape(m.group(1)), text)


def _escape(code: str) -> str:
    simple = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
              "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}
    if code in simple:
        return simple[code]
    if code.startswith("x"):
        return chr(int(code[1:], 16))
    return chr(int(code, 8))


def _int_arg(value: str) -> int:
    if value[:1] in ("'", '"') and len(value) > 1:
        return ord(value[1])
    try:
        return int(value, 0) if value.lower().startswith(("0x", "-0x")) else int(value or "0")
    except ValueError:
        return 0


@command("printf", toybox=True)
def printf(inv: Invocation) -> int:
    """POSIX printf: the format is reused until every argument is consumed."""
    if not inv.args:
        inv.errln("printf: Needs 1 argument")
        return 1
    fmt = _printf_escapes(inv.args[0])
    args = list(inv.args[1:])
    out: list[str] = []
    while True:
        consumed = 0

        def convert(m: re.Match[str]) -> str:
            nonlocal consumed
            flags, width, precision, conv = m.groups()
            if conv == "%":
                return "%"
            if width == "*":
                width = str(_int_arg(args.pop(0))) if args else "0"
                consumed += 1
            value = args.pop(0) if args else ""
            consumed += 1 if value or conv else 0
            spec = "%" + flags + (width or "") + (f".{precision}" if precision else "")
            if conv == "b":
                return (spec + "s") % _printf_escapes(value)
            if conv == "s":
                return (spec + "s") % value
            if conv == "c":
                return (spec + "s") % value[:1]
            if conv in "eEfgG":
                try:
                    return (spec + conv) % float(value or 0)
                except ValueError:
                    return (spec + conv) % 0.0
            return (spec + ("d" if conv in "iu" else conv)) % _int_arg(value)

        before = len(args)
        out.append(_PRINTF_SPEC.sub(convert, fmt))
        if not args or len(args) == before:
            break
    inv.out("".join(out))
    return 0


@command("basename", toybox=True)
def basename(inv: Invocation) -> int:
    inv.outln(inv.args[0].rstrip("/").rsplit("/", 1)[-1] if inv.args else "")
    return 0


@command("dirname", toybox=True)
def dirname(inv: Invocation) -> int:
    inv.outln((inv.args[0].rstrip("/").rsplit("/", 1)[0] or "/") if inv.args else ".")
    return 0


@command("env", toybox=True)
def env(inv: Invocation) -> int:
    for k, v in sorted(inv.env.items()):
        inv.outln(f"{k}={v}")
    return 0


@command("tee", toybox=True)
async def tee(inv: Invocation) -> int:
    data = await inv.read_stdin()
    append = "-a" in inv.args
    for p in [a for a in inv.args if not a.startswith("-")]:
        inv.device.fs.write_file(inv.resolve(p), data, inv.uid, append=append)
    inv.out(data)
    return 0


@command("df", toybox=True)
def df(inv: Invocation) -> int:
    inv.outln("Filesystem       1K-blocks    Used Available Use% Mounted on")
    inv.outln("/dev/block/dm-8  115397140 9120332 106145336   8% /data")
    return 0


@command("which", toybox=True)
def which(inv: Invocation) -> int:
    status = 0
    for name in inv.args:
        if lookup(name, inv.device.api_level) is None:
            status = 1
        else:
            inv.outln(f"/system/bin/{name}")
    return status
