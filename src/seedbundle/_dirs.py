"""Directories below a target, opened one step at a time and never through a link.

Every directory below the target is opened relative to its parent, with
O_NOFOLLOW, so a symbolic link swapped in meanwhile is never followed and no
path longer than one name ever reaches the operating system. Where there are
no directory descriptors (Windows), each step is checked with lstat instead,
and paths are used.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from ._errors import UnpackError
from ._signals import held

__all__ = [
    "BLOCKED",
    "CREATED",
    "DIRECTORY_FLAGS",
    "EXISTS",
    "MISSING",
    "Cursor",
    "Dir",
    "Node",
    "identity",
    "is_link",
]

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
DIRECTORY_FLAGS = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
_DIR_FD_CALLS = {os.open, os.mkdir, os.link, os.stat, os.rename, os.rmdir, os.unlink}
_USE_DIR_FD = bool(_O_NOFOLLOW and _O_DIRECTORY) and _DIR_FD_CALLS.issubset(os.supports_dir_fd)
# Where the OS allows it, a hard link never follows a symlink at its source.
_LINK_NO_FOLLOW = {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
# Directories kept open at once on the way down a deep tree; the rest are
# opened again on the way up.
_MAX_OPEN = 32

# What the first pass found where a directory goes, and what became of it.
MISSING = "missing"  # not there when the first pass looked
EXISTS = "exists"  # a real directory, not made by this run
CREATED = "created"  # made by this run
BLOCKED = "blocked"  # a link or a file where a directory is needed


class Node:
    """A directory below the target, as far as this run knows it."""

    __slots__ = ("backup", "children", "depth", "identity", "name", "parent", "refusal", "scanned", "state")

    def __init__(self, parent: Node | None, name: str, state: str) -> None:
        self.parent = parent
        self.name = name
        self.depth: int = 0 if parent is None else parent.depth + 1
        self.state = state
        self.children: dict[str, Node] = {}
        self.refusal: str | None = None  # when blocked
        self.identity: tuple[int, int] | None = None  # recorded when its descriptor is closed
        self.scanned = False  # looked for leftovers of an interrupted unpack
        self.backup: str | None = None  # the first leftover backup found in it

    def path(self) -> str:
        """The path relative to the target, for messages."""
        names: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names))

    def entry(self, name: str) -> str:
        directory = self.path()
        return f"{directory}/{name}" if directory else name


def is_link(info: os.stat_result) -> bool:
    # A Windows junction is a reparse point that lstat does not report as a link.
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_reparse_tag", 0))


def identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)


class Dir:
    """One directory in use: a descriptor to work relative to, or (without them) its path."""

    def __init__(self, fd: int | None, path: str) -> None:
        self.fd = fd
        self._path = path

    def at(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self._path, name)

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(self.at(name), dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def identity_of(self, name: str) -> tuple[int, int] | None:
        info = self.lstat(name)
        return None if info is None else identity(info)

    def unlink(self, name: str) -> None:
        os.unlink(self.at(name), dir_fd=self.fd)

    def move(self, source: str, destination: str) -> None:
        """Rename, replacing ``destination`` atomically if it exists."""
        if self.fd is None:
            os.replace(self.at(source), self.at(destination))
        else:  # rename(2) replaces an existing file atomically, as os.replace does
            os.rename(source, destination, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def link(self, source: str, destination: str) -> None:
        """Give ``source`` a second name; never replaces ``destination``."""
        os.link(
            self.at(source),
            self.at(destination),
            src_dir_fd=self.fd,
            dst_dir_fd=self.fd,
            **_LINK_NO_FOLLOW,
        )

    def names(self) -> list[str]:
        return os.listdir(self.fd if self.fd is not None else self._path)


class Cursor:
    """The directories open on the way from the target down to the one in use.

    Each is opened relative to its parent without following a link, so a
    symbolic link swapped in during the unpack is never followed, and no
    path is longer than one name. Moving from one directory to another costs
    the steps between them. At most ``_MAX_OPEN`` stay open: one closed on
    the way down is opened again on the way up, as ``..`` of its child, and
    must then still be the same directory.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.root = Node(None, "", MISSING)
        self._nodes: list[Node] = []
        self._fds: list[int | None] = []
        self._first_open = 1  # self._fds[1:self._first_open] are closed; the root never is

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def open_root(self) -> bool:
        """Open the target directory, following a link (the user chose it); False if missing."""
        if not _USE_DIR_FD:
            if not os.path.lexists(self.target):
                return False
            if not os.path.isdir(self.target):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", self.target)
            fd = None
        else:
            try:
                fd = os.open(self.target, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
            except FileNotFoundError:
                return False
        self._nodes, self._fds = [self.root], [fd]
        if self.root.state == MISSING:
            self.root.state = EXISTS
        return True

    @property
    def root_fd(self) -> int | None:
        return self._fds[0]

    def close(self) -> None:
        while self._fds:
            fd = self._fds.pop()
            if fd is not None:
                os.close(fd)
        self._nodes.clear()
        self._first_open = 1

    def go(self, node: Node) -> Dir:
        """Open ``node``, a directory below the root, and make it the one in use."""
        nodes = self._nodes
        chain: list[Node] = []
        while node.depth >= len(nodes) or nodes[node.depth] is not node:
            chain.append(node)
            assert node.parent is not None, "the root is always open"
            node = node.parent
        while len(nodes) > node.depth + 1:
            self._up()
        for child in reversed(chain):
            self._down(child)
        return self._here()

    def _here(self) -> Dir:
        if _USE_DIR_FD:
            return Dir(self._fds[-1], "")
        return Dir(None, os.path.join(self.target, *(node.name for node in self._nodes[1:])))

    def _down(self, child: Node) -> None:
        # An interrupt between opening a directory and recording it would leave
        # the cursor pointing elsewhere than it thinks, and undoing would miss files.
        with held():
            self._step_down(child)

    def _step_down(self, child: Node) -> None:
        parent = self._here()
        if not _USE_DIR_FD:
            info = parent.lstat(child.name)
            if info is None:
                raise FileNotFoundError(errno.ENOENT, "No such directory", child.path())
            if is_link(info) or not stat.S_ISDIR(info.st_mode):
                raise UnpackError(f"{child.path()!r} became a link or a file while unpacking", child.path())
            self._nodes.append(child)
            self._fds.append(None)
            return
        try:
            fd = os.open(child.name, DIRECTORY_FLAGS, dir_fd=parent.fd)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise UnpackError(
                    f"{child.path()!r} became a link or a file while unpacking", child.path()
                ) from None
            raise
        self._nodes.append(child)
        self._fds.append(fd)
        if len(self._fds) - self._first_open > _MAX_OPEN:
            self._close_one()

    def _close_one(self) -> None:
        index = self._first_open
        fd = self._fds[index]
        assert fd is not None
        self._nodes[index].identity = identity(os.fstat(fd))
        self._fds[index] = None
        self._first_open += 1
        os.close(fd)

    def _up(self) -> None:
        with held():
            self._step_up()

    def _step_up(self) -> None:
        fd = self._fds.pop()
        self._nodes.pop()
        try:
            if fd is not None and self._fds[-1] is None:
                self._fds[-1] = self._reopen(self._nodes[-1], fd)
                self._first_open = len(self._fds) - 1
        except BaseException:
            self._forget_all_but_the_root()
            raise
        finally:
            if fd is not None:
                os.close(fd)

    def _reopen(self, node: Node, child_fd: int) -> int:
        fd = os.open("..", DIRECTORY_FLAGS, dir_fd=child_fd)
        if identity(os.fstat(fd)) != node.identity:
            os.close(fd)
            raise UnpackError(f"{node.path()!r} was moved while unpacking", node.path())
        return fd

    def reset(self) -> None:
        """Keep only the root open, whatever state an interrupted step left behind."""
        with held():
            del self._nodes[1:]
            while len(self._fds) > 1:
                fd = self._fds.pop()
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._first_open = 1

    def _forget_all_but_the_root(self) -> None:
        while len(self._fds) > 1:
            fd = self._fds.pop()
            self._nodes.pop()
            if fd is not None:
                os.close(fd)
        self._first_open = 1
