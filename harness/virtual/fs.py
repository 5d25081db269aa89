"""The virtual device's file system: an in-memory tree with owners, modes and read-only mounts.

Permissions matter for fidelity: the shell user (uid 2000) cannot read an app's private
``/data/data/<pkg>`` directory, which is why the harness reads WorkManager's database with
``run-as``; ``/system`` is read-only. Files can be dynamic (``/proc/uptime``) or backed by a real
host file (an app's SQLite database, which the app model writes with the sqlite3 module).
"""

from __future__ import annotations

import errno as _errno
import fnmatch
import os
import stat as st
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT_UID = 0
SYSTEM_UID = 1000
SHELL_UID = 2000
FIRST_APP_UID = 10000

READ_ONLY_MOUNTS = ("/system", "/vendor", "/product", "/apex", "/odm", "/system_ext")


class FsError(Exception):
    def __init__(self, code: int, path: str) -> None:
        self.code = code
        self.path = path
        super().__init__(f"{path}: {os.strerror(code)}")

    @property
    def reason(self) -> str:
        return os.strerror(self.code)


def join_path(cwd: str, path: str) -> str:
    if not path.startswith("/"):
        path = (cwd.rstrip("/") or "") + "/" + path
    return normalize_path(path)


def normalize_path(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


@dataclass(eq=False)
class Node:
    mode: int
    uid: int = ROOT_UID
    gid: int = ROOT_UID
    mtime: int = 0

    @property
    def is_dir(self) -> bool:
        return st.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return st.S_ISREG(self.mode)

    @property
    def is_link(self) -> bool:
        return st.S_ISLNK(self.mode)

    @property
    def size(self) -> int:
        return 0


@dataclass(eq=False)
class Dir(Node):
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return 4096  # what ext4/f2fs report for a small directory


@dataclass(eq=False)
class File(Node):
    data: bytearray = field(default_factory=bytearray)

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self) -> bytes:
        return bytes(self.data)

    def write(self, data: bytes, append: bool = False) -> None:
        if not append:
            self.data = bytearray()
        self.data += data


@dataclass(eq=False)
class DynamicFile(File):
    """Content computed on every read (``/proc/uptime``, ``boot_id``)."""

    provider: Callable[[], bytes] = field(default=lambda: b"")

    @property
    def size(self) -> int:
        return 0  # procfs files report size 0, like on Linux

    def read(self) -> bytes:
        return self.provider()

    def write(self, data: bytes, append: bool = False) -> None:
        raise FsError(_errno.EACCES, "")


@dataclass(eq=False)
class HostFile(File):
    """A file whose bytes live in a real host file (SQLite databases written by app models)."""

    host_path: Path = field(default_factory=Path)

    @property
    def size(self) -> int:
        try:
            return self.host_path.stat().st_size
        except FileNotFoundError:
            return 0

    def read(self) -> bytes:
        try:
            return self.host_path.read_bytes()
        except FileNotFoundError:
            return b""

    def write(self, data: bytes, append: bool = False) -> None:
        self.host_path.parent.mkdir(parents=True, exist_ok=True)
        with self.host_path.open("ab" if append else "wb") as fh:
            fh.write(data)


@dataclass(eq=False)
class Symlink(Node):
    target: str = ""

    @property
    def size(self) -> int:
        return len(self.target)


class FileSystem:
    def __init__(self, now_s: Callable[[], int]) -> None:
        self.now_s = now_s
        self.root = Dir(st.S_IFDIR | 0o755)
        # True while the device image is being built: read-only mounts are writable then.
        self.image_mode = False

    # ---------------------------------------------------------------- lookup
    def _walk(self, path: str, follow_last: bool, uid: int, depth: int = 0) -> tuple[Node, str]:
        if depth > 16:
            raise FsError(_errno.ELOOP, path)
        path = normalize_path(path)
        node: Node = self.root
        parts = [p for p in path.split("/") if p]
        walked = ""
        for idx, name in enumerate(parts):
            if node.is_link:
                raise AssertionError("unresolved link")
            if not isinstance(node, Dir):
                raise FsError(_errno.ENOTDIR, walked or "/")
            if not self.may(node, uid, 0o1):
                raise FsError(_errno.EACCES, path)
            child = node.children.get(name)
            if child is None:
                raise FsError(_errno.ENOENT, path)
            walked = f"{walked}/{name}"
            last = idx == len(parts) - 1
            if isinstance(child, Symlink) and (follow_last or not last):
                target = join_path(walked.rsplit("/", 1)[0] or "/", child.target)
                rest = "/".join(parts[idx + 1 :])
                resolved = target + ("/" + rest if rest else "")
                return self._walk(resolved, follow_last, uid, depth + 1)
            node = child
        return node, "/" + "/".join(parts) if parts else "/"

    def lookup(self, path: str, uid: int = ROOT_UID, follow: bool = True) -> Node:
        return self._walk(path, follow, uid)[0]

    def realpath(self, path: str, uid: int = ROOT_UID) -> str:
        return self._walk(path, True, uid)[1]

    def exists(self, path: str, uid: int = ROOT_UID) -> bool:
        try:
            self.lookup(path, uid)
            return True
        except FsError:
            return False

    @staticmethod
    def may(node: Node, uid: int, bits: int) -> bool:
        """Unix permission check; ``bits`` is 4 (read), 2 (write) or 1 (search/exec)."""
        if uid == ROOT_UID:
            return True
        mode = node.mode
        if uid == node.uid:
            return bool((mode >> 6) & bits)
        if uid == node.gid:
            return bool((mode >> 3) & bits)
        return bool(mode & bits)

    def _parent(self, path: str, uid: int) -> tuple[Dir, str, str]:
        path = normalize_path(path)
        parent_path, name = path.rsplit("/", 1)
        parent = self.lookup(parent_path or "/", uid)
        if not isinstance(parent, Dir):
            raise FsError(_errno.ENOTDIR, parent_path)
        return parent, name, self.realpath(parent_path or "/", uid)

    def _read_only(self, real_path: str) -> bool:
        if self.image_mode:
            return False
        return any(real_path == m or real_path.startswith(m + "/") for m in READ_ONLY_MOUNTS)

    def _check_writable(self, real_parent: str, parent: Dir, uid: int, path: str) -> None:
        if self._read_only(real_parent):
            raise FsError(_errno.EROFS, path)
        if not self.may(parent, uid, 0o2):
            raise FsError(_errno.EACCES, path)

    # ---------------------------------------------------------------- mutation
    def mkdir(
        self,
        path: str,
        uid: int = ROOT_UID,
        mode: int = 0o755,
        parents: bool = False,
        owner: int | None = None,
        group: int | None = None,
    ) -> Dir:
        path = normalize_path(path)
        if parents:
            cur = ""
            node: Node = self.root
            for name in [p for p in path.split("/") if p]:
                cur += "/" + name
                try:
                    node = self.lookup(cur, uid)
                except FsError as exc:
                    if exc.code != _errno.ENOENT:
                        raise
                    node = self.mkdir(cur, uid, mode, False, owner, group)
                if not isinstance(node, Dir):
                    raise FsError(_errno.ENOTDIR, cur)
            return node  # type: ignore[return-value]
        parent, name, real_parent = self._parent(path, uid)
        if name in parent.children:
            raise FsError(_errno.EEXIST, path)
        self._check_writable(real_parent, parent, uid, path)
        o = uid if owner is None else owner
        g = uid if group is None else group
        d = Dir(st.S_IFDIR | mode, o, g, self.now_s())
        parent.children[name] = d
        return d

    def open_for_write(
        self, path: str, uid: int = ROOT_UID, mode: int = 0o644, append: bool = False
    ) -> File:
        """Create or truncate (or append to) a regular file and return its node."""
        try:
            node = self.lookup(path, uid)
        except FsError as exc:
            if exc.code != _errno.ENOENT:
                raise
            parent, name, real_parent = self._parent(path, uid)
            self._check_writable(real_parent, parent, uid, path)
            node = File(st.S_IFREG | mode, uid, uid, self.now_s())
            parent.children[name] = node
            return node
        if isinstance(node, Dir):
            raise FsError(_errno.EISDIR, path)
        if not isinstance(node, File):
            raise FsError(_errno.EINVAL, path)
        if self._read_only(self.realpath(path, uid)):
            raise FsError(_errno.EROFS, path)
        if not self.may(node, uid, 0o2):
            raise FsError(_errno.EACCES, path)
        if not append and not isinstance(node, DynamicFile):
            node.write(b"")
        node.mtime = self.now_s()
        return node

    def write_file(
        self,
        path: str,
        data: bytes,
        uid: int = ROOT_UID,
        mode: int = 0o644,
        append: bool = False,
        owner: int | None = None,
    ) -> File:
        node = self.open_for_write(path, uid, mode, append)
        node.write(data, append=append)
        if owner is not None:
            node.uid = node.gid = owner
        return node

    def read_file(self, path: str, uid: int = ROOT_UID) -> bytes:
        node = self.lookup(path, uid)
        if isinstance(node, Dir):
            raise FsError(_errno.EISDIR, path)
        if not isinstance(node, File):
            raise FsError(_errno.EINVAL, path)
        if not self.may(node, uid, 0o4):
            raise FsError(_errno.EACCES, path)
        return node.read()

    def add_node(self, path: str, node: Node) -> Node:
        """Place a prepared node (dynamic/host file, symlink), creating parents as root."""
        parent_path, name = normalize_path(path).rsplit("/", 1)
        parent = self.mkdir(parent_path or "/", parents=True)
        parent.children[name] = node
        if not node.mtime:
            node.mtime = self.now_s()
        return node

    def symlink(self, target: str, path: str) -> Symlink:
        link = Symlink(st.S_IFLNK | 0o777, target=target)
        self.add_node(path, link)
        return link

    def remove(self, path: str, uid: int = ROOT_UID, recursive: bool = False) -> None:
        parent, name, real_parent = self._parent(path, uid)
        node = parent.children.get(name)
        if node is None:
            raise FsError(_errno.ENOENT, path)
        if isinstance(node, Dir) and node.children and not recursive:
            raise FsError(_errno.ENOTEMPTY, path)
        self._check_writable(real_parent, parent, uid, path)
        del parent.children[name]

    def listdir(self, path: str, uid: int = ROOT_UID) -> list[tuple[str, Node]]:
        node = self.lookup(path, uid)
        if not isinstance(node, Dir):
            raise FsError(_errno.ENOTDIR, path)
        if not self.may(node, uid, 0o4):
            raise FsError(_errno.EACCES, path)
        return sorted(node.children.items())

    def walk(self, path: str, uid: int = ROOT_UID) -> Iterator[tuple[str, Node]]:
        node = self.lookup(path, uid)
        yield normalize_path(path), node
        if isinstance(node, Dir):
            for name, _child in self.listdir(path, uid):
                yield from self.walk(join_path(path, name), uid)

    def glob(self, pattern: str, cwd: str, uid: int = ROOT_UID) -> list[str]:
        """Pathname expansion; returns [] when nothing matches (the caller keeps the word)."""
        absolute = pattern.startswith("/")
        parts = [p for p in pattern.split("/") if p]
        bases = ["/" if absolute else ""]
        for idx, part in enumerate(parts):
            last = idx == len(parts) - 1
            nxt: list[str] = []
            for base in bases:
                dir_path = join_path(cwd, base or ".")
                if not any(ch in part for ch in "*?["):
                    cand = f"{base.rstrip('/')}/{part}" if base else part
                    if absolute and not cand.startswith("/"):
                        cand = "/" + cand
                    if last and not self.exists(join_path(cwd, cand), uid):
                        continue
                    nxt.append(cand)
                    continue
                try:
                    entries = self.listdir(dir_path, uid)
                except FsError:
                    continue
                for name, _node in entries:
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    if fnmatch.fnmatchcase(name, part):
                        nxt.append(f"{base.rstrip('/')}/{name}" if base else name)
            bases = nxt
        return sorted(bases)
