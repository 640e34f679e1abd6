"""Unpack a bundle below a directory, treating it as untrusted.

The bundle is read once. Each entry is checked as it arrives (its name, and
what is on the disk where it goes) and written under a temporary name beside
its final one. Only when the whole bundle has been read and found valid are
the files moved into place; a file that one replaces is kept under a backup
name until the last is in place. A bad entry, a damaged bundle, a failure or
any exception at all (an interrupt too) puts the replaced files back and
removes everything that the run created, so the target is left as it was.
Once an entry is refused, the rest of the bundle is still read and checked,
but no more is written, so that the error raised is the one a check of the
whole bundle finds first.

Below the target, every directory is opened relative to its parent and never
through a symbolic link, and no path longer than one name is ever handed to
the operating system.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import IO, Literal

import attrs

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks on directories
    fcntl = None  # type: ignore[assignment]

from ._atomic import PathArg
from ._dirs import BLOCKED, CREATED, DIRECTORY_FLAGS, EXISTS, MISSING, Cursor, Dir, Node, identity, is_link
from ._errors import UnpackError
from ._model import Bundle, Entry
from ._names import UNPACK_TEMPORARY, NameSet
from ._signals import held
from ._stream import BundleReader
from ._stream import open as open_bundle

__all__ = [
    "EntrySource",
    "Existing",
    "Plan",
    "Planned",
    "plan_entries",
    "reader_source",
    "unpack",
    "unpack_entries",
    "unpack_from",
]

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _temporary_name(kind: Literal["part", "old"]) -> str:
    """A new name that matches ``UNPACK_TEMPORARY``, which no entry may have."""
    return f".seedbundle-{secrets.token_hex(6)}.{kind}"


# -- what an unpack does ---------------------------------------------------


@attrs.frozen
class Planned:
    """One file that unpacking writes, or would write."""

    name: str
    size: int
    executable: bool
    replaces: bool  # a file or link of that name is in the target directory
    refusal: str | None = None  # why it cannot be written, whatever the options

    @property
    def action(self) -> Literal["create", "replace", "refuse"]:
        if self.refusal is not None:
            return "refuse"
        return "replace" if self.replaces else "create"


@attrs.frozen
class Plan:
    """What unpacking a bundle into a directory does, or would do."""

    files: tuple[Planned, ...]
    # Temporary files that an interrupted unpack left in the directories this
    # one writes to; they are removed once this one succeeds.
    leftovers: tuple[str, ...]
    overwrite: bool

    def problem(self) -> UnpackError | None:
        """The error that refuses the unpack with these options, or None."""
        for item in self.files:
            if item.refusal is not None:
                return UnpackError(f"cannot write {item.name!r}: {item.refusal}", item.name)
            if item.replaces and not self.overwrite:
                return UnpackError(
                    f"{item.name!r} already exists in the target directory (pass overwrite=True"
                    " to replace it)",
                    item.name,
                )
        return None


@attrs.frozen
class Existing:
    """What is on the disk at a name: a regular file's content, or why it cannot be touched."""

    data: bytes | None = None  # None: no file of that name
    executable: bool = False
    version: tuple[int, ...] | None = None  # see _version
    refusal: str | None = None


def _version(info: os.stat_result | None) -> tuple[int, ...] | None:
    """What tells one state of a file from another: its identity, size and modification time.

    A file replaced by a rename has another identity; one written in place
    has another size or modification time.
    """
    if info is None:
        return None
    return (*identity(info), info.st_size, info.st_mtime_ns)


# -- other unpacks, running or killed ---------------------------------------


def _announce(fd: int | None) -> None:
    """Tell other unpacks that one is running below ``fd``, until ``fd`` is closed.

    It is a shared lock, which any number of unpacks hold at once. Where
    there are no locks, no unpack ever takes another's files for leftovers.
    """
    if fd is not None and fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH)


def _may_be_in_use(directory: Dir, own: int | None = None) -> bool:
    """Whether an unpack may be running in ``directory``: one holds its lock on it or above it.

    Only when none does are the temporary files in it leftovers of an unpack
    that was killed; then they can be removed. ``own`` is the descriptor on
    which this run holds its own lock (see [`_announce`][]), which does not count.
    """
    if directory.fd is None or fcntl is None:
        return True
    try:
        current = os.open(".", DIRECTORY_FLAGS, dir_fd=directory.fd)
    except OSError:
        return True
    try:
        mine = None if own is None else identity(os.fstat(own))
        while True:
            if mine is not None and identity(os.fstat(current)) == mine:
                assert own is not None
                if not _held_only_by_us(own):
                    return True
            else:
                fcntl.flock(current, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while any is held
                fcntl.flock(current, fcntl.LOCK_UN)
            parent = os.open("..", DIRECTORY_FLAGS, dir_fd=current)
            at_the_top = identity(os.fstat(parent)) == identity(os.fstat(current))
            os.close(current)
            current = parent
            if at_the_top:
                return False
    except OSError:  # held, or no locks here, or no way up: it cannot tell
        return True
    finally:
        os.close(current)


def _held_only_by_us(own: int) -> bool:
    """Whether no one else holds a lock on the directory of ``own``, where this run holds its shared one.

    A second descriptor would conflict with this run's own lock, so the lock
    itself is converted to an exclusive one, which only succeeds if no other
    is held, and then back to a shared one. A failed conversion drops the
    lock for a moment (as BSD's flock does); another unpack that looks just
    then may take this one's temporary files for leftovers, and remove them
    once it succeeds, in which case this one fails and is undone.
    """
    assert fcntl is not None
    try:
        fcntl.flock(own, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        # Back to shared; where a failed conversion dropped the lock, this takes it again.
        with contextlib.suppress(OSError):
            fcntl.flock(own, fcntl.LOCK_SH)
    return True


# -- checking: looking, writing nothing ----------------------------------


class _Planner:
    """Checks every name and what is on the disk where it goes, writing nothing."""

    def __init__(self, cursor: Cursor, *, allow_case_conflicts: bool) -> None:
        self.cursor = cursor
        self.names = NameSet(allow_case_conflicts=allow_case_conflicts)
        self.files: list[Planned] = []
        self.leftovers: list[tuple[Node, str]] = []
        # The descriptor on which this run announced itself, once it writes (see _announce).
        self.own_lock: int | None = None
        cursor.open_root()

    def add(self, entry: Entry) -> None:
        name = entry.name
        self.names.add(name)
        try:
            replaces, refusal = self._look_on_disk(name)
        except OSError as error:
            raise _naming(error, self.cursor.target, name) from error
        self.files.append(Planned(name, len(entry.data), entry.executable, replaces, refusal))

    def check(self, name: str) -> Existing:
        """Check ``name`` as [`add`][] does, and read the regular file of that name, if any.

        A link, a directory or a special file there is a refusal: nothing
        that is not a regular file is read, replaced or removed.
        """
        self.names.add(name)
        try:
            replaces, refusal = self._look_on_disk(name)
            if refusal is not None or not replaces:
                return Existing(refusal=refusal)
            return self._read(name)
        except OSError as error:
            raise _naming(error, self.cursor.target, name) from error

    def siblings(self, name: str) -> list[str]:
        """The names in the directory of ``name`` on the disk, if it is there."""
        *directories, _last = name.split("/")
        node = self.cursor.root
        for segment in directories:
            if node.state != EXISTS:
                return []
            node = self._child(node, segment)
        if node.state != EXISTS:
            return []
        try:
            return self.cursor.go(node).names()
        except OSError:
            return []

    def _read(self, name: str) -> Existing:
        *directories, last = name.split("/")
        node = self.cursor.root
        for segment in directories:
            node = self._child(node, segment)
        directory = self.cursor.go(node)
        info = directory.lstat(last)
        if info is None:
            return Existing()
        if is_link(info):
            return Existing(refusal=f"{name!r} is a symbolic link in the target directory; it is left alone")
        if not stat.S_ISREG(info.st_mode):
            return Existing(refusal=f"{name!r} is not a regular file in the target directory")
        flags = os.O_RDONLY | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        with open(os.open(directory.at(last), flags, dir_fd=directory.fd), "rb") as file:
            info = os.fstat(file.fileno())
            data = file.read()
        return Existing(data, bool(info.st_mode & stat.S_IXUSR), _version(info))

    def _look_on_disk(self, name: str) -> tuple[bool, str | None]:
        """Whether a file ``name`` is there to replace, and why it cannot be written if so."""
        *directories, last = name.split("/")
        node = self.cursor.root
        for segment in directories:
            if node.state != EXISTS:
                break
            node = self._child(node, segment)
        if node.state != EXISTS:
            return False, node.refusal
        return self._look_at_file(node, last)

    def plan(self, *, overwrite: bool) -> Plan:
        leftovers = tuple(node.entry(name) for node, name in self.leftovers)
        return Plan(tuple(self.files), leftovers, overwrite)

    def _child(self, node: Node, segment: str) -> Node:
        child = node.children.get(segment)
        if child is not None:
            return child
        child = node.children[segment] = Node(node, segment, EXISTS)
        info = self.cursor.go(node).lstat(segment)
        if info is None:
            child.state = MISSING
        elif is_link(info):
            child.state = BLOCKED
            child.refusal = (
                f"{child.path()!r} is a symbolic link in the target directory, and unpack never"
                " writes through a link"
            )
        elif not stat.S_ISDIR(info.st_mode):
            child.state = BLOCKED
            child.refusal = f"{child.path()!r} already exists in the target directory and is not a directory"
        return child

    def _look_at_file(self, node: Node, name: str) -> tuple[bool, str | None]:
        directory = self.cursor.go(node)
        self._scan(node, directory)
        info = directory.lstat(name)
        if info is not None and stat.S_ISDIR(info.st_mode) and not is_link(info):
            return False, "a directory of that name exists in the target directory"
        if node.backup is not None:
            return info is not None, (
                f"{node.entry(node.backup)!r} holds the old content of a file that an interrupted"
                " unpack with overwrite=True replaced; put it back or delete it"
            )
        return info is not None, None

    def _scan(self, node: Node, directory: Dir) -> None:
        """Find what an interrupted unpack left in ``node``, once."""
        if node.scanned:
            return
        node.scanned = True
        try:
            names = directory.names()
        except PermissionError:  # a directory one may write to but not list
            return
        found = sorted(name for name in names if UNPACK_TEMPORARY.fullmatch(name))
        if not found or _may_be_in_use(directory, self.own_lock):
            return
        for name in found:
            info = directory.lstat(name)
            if info is None or stat.S_ISDIR(info.st_mode):
                continue
            if name.endswith(".old"):
                node.backup = node.backup or name
            elif stat.S_ISREG(info.st_mode):
                self.leftovers.append((node, name))


# -- writing -----------------------------------------------------------------


@attrs.define
class _Removal:
    node: Node
    final: str
    name: str
    version: tuple[int, ...] | None  # of the file that the first pass read (see _version)
    backup: str | None = None  # where the file is, once moved aside


@attrs.define
class _Staged:
    node: Node
    temporary: str
    final: str
    name: str
    identity: tuple[int, int] | None = None  # of the temporary file, once it exists
    backup: str | None = None  # where the file it replaces is kept
    # What must be at the final name when the file moves there: () for anything,
    # None for nothing, else the version (see _version) that the first pass read.
    expect: tuple[int, ...] | None = ()


class _Writer:
    """Writes temporary files, then moves them all into place; undoes it all on any exception.

    Each change on the disk is recorded before it is made, with signals
    held back, so that an interrupt cannot fall between the two; undoing
    checks what is really there, and removes only files that are this run's.
    """

    def __init__(
        self, cursor: Cursor, *, overwrite: bool, leftovers: Iterable[tuple[Node, str]] = ()
    ) -> None:
        self.cursor = cursor
        self.overwrite = overwrite
        self.leftovers = list(leftovers)
        self.created: list[Node] = []  # below the target
        self.created_above: list[str] = []  # absolute paths: the target and its parents
        self.staged: list[_Staged] = []
        self.removals: list[_Removal] = []
        self.done = False  # every file is in place: nothing is undone any more

    def __enter__(self) -> _Writer:
        try:
            if self.cursor.root.state == MISSING:
                self._make_target()
                if not self.cursor.open_root():
                    raise FileNotFoundError(errno.ENOENT, "No such directory", self.cursor.target)
                self.cursor.root.state = CREATED
            _announce(self.cursor.root_fd)
        except BaseException:
            with held():
                self._remove_created_above()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is not None and not self.done:
            with held():
                self._rollback()

    def _make_target(self) -> None:
        missing: list[str] = []
        path = os.path.abspath(self.cursor.target)
        while not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for path in reversed(missing):
            with held():
                try:
                    os.mkdir(path)
                except FileExistsError:
                    if os.path.isdir(path):  # made by someone else meanwhile: use it
                        continue
                    raise
                self.created_above.append(path)

    def _directory(self, names: list[str]) -> Node:
        """The node of the directory ``names`` below the target, made if missing."""
        node = self.cursor.root
        for name in names:
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = Node(node, name, MISSING)
            if child.state == MISSING:
                self._make_directory(child)
            node = child
        return node

    def _make_directory(self, node: Node) -> None:
        assert node.parent is not None
        parent = self.cursor.go(node.parent)
        with held():
            self.created.append(node)
            try:
                os.mkdir(parent.at(node.name), 0o777, dir_fd=parent.fd)
            except OSError as error:
                self.created.pop()
                if not isinstance(error, FileExistsError):
                    raise
                # Another unpack, say, made it since the first pass. It is used if it is
                # a real directory: the cursor opens it without following a link.
                node.state = EXISTS
                return
            node.state = CREATED

    def stage(self, entry: Entry, replaces: bool, *, expect: tuple[int, ...] | None = ()) -> None:
        """Write ``entry`` beside its final name; ``expect`` is what must be there at commit (see _Staged)."""
        *directories, final = entry.name.split("/")
        try:
            node = self._directory(directories)
            file = self._create_temporary(node, final, entry)
            self.staged[-1].expect = expect
            with file:
                file.write(entry.data)
        except OSError as error:
            raise _naming(error, self.cursor.target, entry.name) from error

    def remove(self, name: str, version: tuple[int, ...] | None) -> None:
        """Remove the file ``name`` at commit, if it is still the file that the first pass read.

        It is moved aside under a backup name, as a replaced file is, and
        deleted once every change is in place; on a failure it is put back.
        """
        *directories, final = name.split("/")
        node = self.cursor.root
        for segment in directories:
            child = node.children.get(segment)
            if child is None or child.state != EXISTS:
                raise UnpackError(f"the directory of {name!r} is not there any more", name)
            node = child
        self.removals.append(_Removal(node, final, name, version))

    def _create_temporary(self, node: Node, final: str, entry: Entry) -> IO[bytes]:
        directory = self.cursor.go(node)
        mode = 0o777 if entry.executable else 0o666  # less the umask, as for any new file
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        while True:
            item = _Staged(node, _temporary_name("part"), final, entry.name)
            with held():
                self.staged.append(item)
                try:
                    fd = os.open(directory.at(item.temporary), flags, mode, dir_fd=directory.fd)
                except FileExistsError:  # pragma: no cover - 48 random bits
                    self.staged.pop()
                    continue
                file = open(fd, "wb")  # noqa: SIM115 - the caller closes it
                item.identity = identity(os.fstat(fd))
            return file

    def commit(self) -> None:
        """Move every file into place; then the unpack is done, and the backups are removed."""
        with held():
            for item in self.staged:
                directory = self.cursor.go(item.node)
                try:
                    self._check_unchanged(item, directory)
                    if self.overwrite:
                        self._keep_old(item, directory)
                        directory.move(item.temporary, item.final)
                    else:
                        _move_no_replace(directory, item.temporary, item.final, item.name)
                except OSError as error:
                    raise _naming(error, self.cursor.target, item.name) from error
            for removal in self.removals:
                self._move_aside(removal)
        # A signal that arrived while the files moved is raised above, and undoes them all.
        self.done = True
        with held():
            self._clean_up()

    def _check_unchanged(self, item: _Staged, directory: Dir) -> None:
        if item.expect != () and _version(directory.lstat(item.final)) != item.expect:
            raise UnpackError(
                f"{item.name!r} changed in the target directory; nothing was written", item.name
            )

    def _move_aside(self, removal: _Removal) -> None:
        directory = self.cursor.go(removal.node)
        try:
            if _version(directory.lstat(removal.final)) != removal.version:
                raise UnpackError(
                    f"{removal.name!r} changed in the target directory; it was left alone", removal.name
                )
            removal.backup = _temporary_name("old")
            directory.move(removal.final, removal.backup)
        except OSError as error:
            raise _naming(error, self.cursor.target, removal.name) from error

    def _keep_old(self, item: _Staged, directory: Dir) -> None:
        """Keep the file that ``item`` replaces under a backup name, until the unpack is done."""
        info = directory.lstat(item.final)
        if info is None:
            return
        if stat.S_ISDIR(info.st_mode) and not is_link(info):
            raise UnpackError(
                f"a directory {item.name!r} appeared in the target directory during the unpack;"
                " it was left alone",
                item.name,
            )
        item.backup = _temporary_name("old")
        try:
            directory.link(item.final, item.backup)
        except FileNotFoundError:  # gone since: nothing to keep
            item.backup = None
        except FileExistsError:  # pragma: no cover - 48 random bits
            raise
        except OSError:  # no hard links on this file system: move the old file aside instead
            directory.move(item.final, item.backup)

    def _clean_up(self) -> None:
        """Remove the backups, and what an interrupted unpack left; a failure here changes nothing."""
        removals = [(item.node, item.backup) for item in self.staged if item.backup is not None]
        removals += [(item.node, item.backup) for item in self.removals if item.backup is not None]
        for node, name in removals + self.leftovers:
            with contextlib.suppress(OSError, UnpackError):
                self.cursor.go(node).unlink(name)
        for removal in self.removals:
            self._remove_if_empty(removal.node)

    def _remove_if_empty(self, node: Node) -> None:
        """Remove ``node`` and its parents below the target while they are empty, as ``git rm`` does."""
        while node.parent is not None:
            try:
                parent = self.cursor.go(node.parent)
                os.rmdir(parent.at(node.name), dir_fd=parent.fd)
            except (OSError, UnpackError):
                return
            node.state = MISSING
            node = node.parent

    def _rollback(self) -> None:
        self.cursor.reset()
        for removal in reversed(self.removals):
            with contextlib.suppress(OSError, UnpackError):
                self._put_back(removal)
        for item in reversed(self.staged):
            with contextlib.suppress(OSError, UnpackError):
                self._undo(item)
        for node in reversed(self.created):
            assert node.parent is not None
            with contextlib.suppress(OSError, UnpackError):
                parent = self.cursor.go(node.parent)
                os.rmdir(parent.at(node.name), dir_fd=parent.fd)
        self.cursor.close()
        self._remove_created_above()

    def _put_back(self, removal: _Removal) -> None:
        if removal.backup is None:
            return
        directory = self.cursor.go(removal.node)
        if directory.lstat(removal.final) is None and directory.lstat(removal.backup) is not None:
            directory.move(removal.backup, removal.final)

    def _undo(self, item: _Staged) -> None:
        directory = self.cursor.go(item.node)
        final = directory.identity_of(item.final)
        ours = final is not None and final == item.identity
        if item.backup is not None:
            kept = directory.identity_of(item.backup)
            if kept is not None and kept == final:  # the old file is still in place
                directory.unlink(item.backup)
            elif kept is not None and (final is None or ours):
                directory.move(item.backup, item.final)
            # Otherwise someone else's file is in place now: the backup stays, not to lose it.
        elif ours:
            directory.unlink(item.final)
        with contextlib.suppress(FileNotFoundError):
            directory.unlink(item.temporary)

    def _remove_created_above(self) -> None:
        for path in reversed(self.created_above):
            with contextlib.suppress(OSError):
                os.rmdir(path)
        self.created_above.clear()


def _naming(error: OSError, target: str, name: str) -> OSError:
    """The same error, naming the entry's path instead of a temporary or a single segment."""
    # OSError() itself picks the subclass for the errno, as it does for the original.
    return OSError(error.errno, error.strerror or str(error), os.path.join(target, *name.split("/")))


def _move_no_replace(directory: Dir, temporary: str, final: str, name: str) -> None:
    """Move without ever replacing a file that appeared since the first pass."""
    try:
        # A hard link fails if the name exists, where a rename would replace it.
        directory.link(temporary, final)
    except FileExistsError:
        raise UnpackError(
            f"{name!r} appeared in the target directory during the unpack; it was left alone",
            name,
        ) from None
    except OSError:  # no hard links on this file system: check, then move
        if directory.lstat(final) is not None:
            raise UnpackError(
                f"{name!r} appeared in the target directory during the unpack; it was left alone",
                name,
            ) from None
        directory.move(temporary, final)
        return
    with contextlib.suppress(FileNotFoundError):
        directory.unlink(temporary)


# -- one pass: checking and writing ---------------------------------------

EntrySource = Callable[[], contextlib.AbstractContextManager[Iterable[Entry]]]


def plan_entries(
    source: EntrySource,
    directory: PathArg,
    *,
    overwrite: bool = False,
    allow_case_conflicts: bool = False,
) -> Plan:
    """What unpacking would do, file by file, writing nothing.

    A name that is unsafe on any disk raises [`UnpackError`][UnpackError]; what
    depends on the target directory (a file that exists, a link in the way)
    is reported in the plan instead.
    """
    with Cursor(os.fspath(directory)) as cursor, source() as entries:
        planner = _Planner(cursor, allow_case_conflicts=allow_case_conflicts)
        for entry in entries:
            planner.add(entry)
        return planner.plan(overwrite=overwrite)


class _OnePass:
    """Checks each entry as it is read and writes it under a temporary name.

    The writer is entered (making the target directory, if missing) only when
    the first entry is written. After the first entry that cannot be written,
    or the first failure to write one, nothing more is written, but every
    entry is still read and checked: the error raised is then the one that
    checking the whole bundle first finds, whatever was written meanwhile.
    """

    def __init__(
        self,
        planner: _Planner,
        stack: contextlib.ExitStack,
        *,
        overwrite: bool,
        progress: Callable[[Entry], object] | None,
    ) -> None:
        self.planner = planner
        self.stack = stack
        self.overwrite = overwrite
        self.progress = progress
        self.writer: _Writer | None = None
        self.refused = False
        self.failure: OSError | UnpackError | None = None

    def add(self, entry: Entry) -> None:
        planner = self.planner
        planner.add(entry)
        item = planner.files[-1]
        if item.refusal is not None or (item.replaces and not self.overwrite):
            self.refused = True
        if self.refused or self.failure is not None:
            return
        try:
            self._writer().stage(entry, item.replaces)
        except (OSError, UnpackError) as error:  # raised once the rest is checked
            self.failure = error
            return
        if self.progress is not None:
            self.progress(entry)

    def _writer(self) -> _Writer:
        if self.writer is None:
            planner = self.planner
            self.writer = self.stack.enter_context(
                _Writer(planner.cursor, overwrite=self.overwrite, leftovers=())
            )
            planner.own_lock = planner.cursor.root_fd
        return self.writer

    def finish(self) -> Plan:
        """Raise what checking found, else move every file into place."""
        plan = self.planner.plan(overwrite=self.overwrite)
        problem = plan.problem()
        if problem is not None:
            raise problem
        if self.failure is not None:
            raise self.failure
        writer = self._writer()  # an empty bundle still makes the target directory
        writer.leftovers = list(self.planner.leftovers)
        writer.commit()
        return plan


def unpack_entries(
    source: EntrySource,
    directory: PathArg,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
    progress: Callable[[Entry], object] | None = None,
) -> Plan:
    """Check and write in one pass over ``source``; nothing is in place unless all of it is valid.

    ``progress`` is called after each file is written (under its temporary
    name), with its entry.
    """
    if dry_run:
        plan = plan_entries(source, directory, overwrite=overwrite, allow_case_conflicts=allow_case_conflicts)
        problem = plan.problem()
        if problem is not None:
            raise problem
        return plan
    with Cursor(os.fspath(directory)) as cursor, contextlib.ExitStack() as stack:
        planner = _Planner(cursor, allow_case_conflicts=allow_case_conflicts)
        run = _OnePass(planner, stack, overwrite=overwrite, progress=progress)
        with source() as entries:
            for entry in entries:
                run.add(entry)
        return run.finish()


def _check_unpack_options(directory: object, overwrite: object, dry_run: object) -> None:
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, not {type(directory).__name__}")
    for option, value in (("overwrite", overwrite), ("dry_run", dry_run)):
        if not isinstance(value, bool):
            raise TypeError(f"{option} must be a bool, not {type(value).__name__}")


def unpack(
    bundle: Bundle,
    directory: str | os.PathLike[str],
    /,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Write the entries of a bundle as files below a directory, safely.

    The bundle is treated as untrusted. Every name is checked: it must be a relative path with ``/`` separators and
    no empty, ``.`` or ``..`` segment, backslash, drive letter, control or
    invisible formatting character, or ``.git`` segment (nor one that macOS
    or Windows would take for ``.git``); no two names may differ only in
    case or Unicode normalization; no name may be both a file and a
    directory. On the disk, no directory on the way below ``directory`` may
    be a symbolic link (``directory`` itself may be), and no file may
    already exist unless ``overwrite`` is true.

    Each file is written under a temporary name in its directory as soon
    as its entry is checked, and only when all are checked and written are
    they moved into place. If anything is refused or fails, or
    the call is interrupted, every file it replaced is put back and every
    file and directory it created is removed again. New files get the
    permissions 0o666, or 0o777 for executable entries, less the umask.

    Args:
        bundle: The bundle to unpack.
        directory: The target directory; it is created if it is missing.
        overwrite: Replace files that already exist.
        dry_run: Check everything, but write nothing.
        allow_case_conflicts: Accept names that differ only in case or
            Unicode normalization (safe only on a case-sensitive file system).

    Returns:
        The names of the files written (or that would be written), in bundle
        order.

    Raises:
        UnpackError: If the bundle is refused; the target is as it was.
        OSError: If the file system fails; the target is as it was.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> bundle = seedbundle.Bundle([seedbundle.Entry("docs/a.txt", "A\\n")])
        >>> target = tempfile.mkdtemp()
        >>> seedbundle.unpack(bundle, target)
        ('docs/a.txt',)
        >>> open(os.path.join(target, "docs", "a.txt")).read()
        'A\\n'

    Added in version 1.0.0.
    """
    if not isinstance(bundle, Bundle):
        raise TypeError(f"unpack() needs a Bundle, not {type(bundle).__name__}")
    _check_unpack_options(directory, overwrite, dry_run)
    plan = unpack_entries(
        lambda: contextlib.nullcontext(bundle.entries),
        directory,
        overwrite=overwrite,
        dry_run=dry_run,
        allow_case_conflicts=allow_case_conflicts,
    )
    return tuple(item.name for item in plan.files)


@contextlib.contextmanager
def reader_source(
    file: PathArg | IO[bytes], *, strict: bool
) -> Iterator[Callable[[], contextlib.AbstractContextManager[BundleReader]]]:
    """A factory of the reader over a bundle, for [`unpack_entries`][], which calls it once."""
    yield lambda: open_bundle(file, "r", strict=strict)


def unpack_from(
    file: str | os.PathLike[str] | IO[bytes],
    directory: str | os.PathLike[str],
    /,
    *,
    strict: bool = True,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Unpack a bundle file below a directory, one entry at a time.

    Like [`unpack`][unpack], with the same checks, but the bundle is read from a
    path or a binary file object, once, and memory holds one entry at a
    time. Each file is written under a temporary name as its entry is read;
    they are moved into place only once the whole bundle has been read and
    checked, so a pipe works as well as a file.

    Args:
        file: A path, or a readable binary file object.
        directory: The target directory; it is created if it is missing.
        strict: As for [`seedbundle.loads`][seedbundle.loads].
        overwrite: As for [`unpack`][unpack].
        dry_run: As for [`unpack`][unpack].
        allow_case_conflicts: As for [`unpack`][unpack].

    Returns:
        The names of the files written (or that would be written).

    Raises:
        BundleDecodeError: If the bundle is invalid; the target is as it was.
        UnpackError: As for [`unpack`][unpack].
        OSError: As for [`unpack`][unpack].

    Examples:
        >>> import io, os, tempfile, seedbundle
        >>> data = b"<<<FILE run.sh exec>>>\\n#!/bin/sh\\n<<<END 1>>>\\n"
        >>> target = tempfile.mkdtemp()
        >>> seedbundle.unpack_from(io.BytesIO(data), target)
        ('run.sh',)
        >>> os.access(os.path.join(target, "run.sh"), os.X_OK)
        True

    Added in version 1.0.0.
    """
    _check_unpack_options(directory, overwrite, dry_run)
    with reader_source(file, strict=strict) as fresh:
        plan = unpack_entries(
            fresh,
            directory,
            overwrite=overwrite,
            dry_run=dry_run,
            allow_case_conflicts=allow_case_conflicts,
        )
    return tuple(item.name for item in plan.files)
