"""Files on disk: pack a directory tree into a bundle, unpack a bundle safely.

Packing walks the tree depth first and lists each directory sorted by the
UTF-8 bytes of its entry names, so entry names come out in path-component
order (``a/b`` before ``a-c``) and packing the same tree twice gives the
same bytes. Only regular files are stored; anything else is refused with a
message that names the path, or left out with a :class:`PackWarning` when
the caller asked for that.

Unpacking treats the bundle as untrusted. A first pass reads the whole
bundle and checks every name, and the target directory, without writing
anything; the second pass writes each file to a temporary name beside its
final one, and only when all of them are written are they moved into place.
Any failure removes everything that the run created.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import types
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Literal

import attrs

from ._errors import BundleEncodeError, BundleError
from ._model import Bundle, Entry
from ._stream import BundleReader, create_beside
from ._stream import open as open_bundle

if TYPE_CHECKING:
    import pathspec

__all__ = [
    "PackError",
    "PackWarning",
    "Planned",
    "UnpackError",
    "atomic_output",
    "check_names",
    "file_identity",
    "iter_tree",
    "name_problem",
    "pack",
    "pack_to",
    "unpack",
    "unpack_entries",
    "unpack_from",
]

SymlinkPolicy = Literal["error", "skip", "follow"]
PathArg = str | os.PathLike[str]

MAX_SEGMENT_BYTES = 255  # NAME_MAX of every common file system
MAX_NAME_BYTES = 4096  # PATH_MAX on Linux; it also bounds how deep a tree can go

_WINDOWS = os.name == "nt"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_DEVICE = re.compile(
    r"(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9\xb9\xb2\xb3]|LPT[0-9\xb9\xb2\xb3])(?:\..*)?",
    re.IGNORECASE,
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Opening each directory relative to its parent with O_NOFOLLOW is what makes
# a symlink swapped in during the unpack harmless; without it (Windows) every
# component is checked with lstat instead.
# Where the OS allows it, a hard link never follows a symlink at its source.
_LINK_NO_FOLLOW = {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
_USE_DIR_FD = bool(_O_NOFOLLOW and _O_DIRECTORY) and {os.open, os.mkdir, os.link} <= (os.supports_dir_fd)


class PackError(BundleEncodeError):
    """Raised when a directory tree cannot be packed faithfully.

    seedbundle stores regular files with UTF-8 names. A symbolic link (unless
    the caller chose to skip or follow links), a special file such as a FIFO
    or a device, a name that is not UTF-8, and a name that could not be
    unpacked safely are refused instead of being dropped.

    Attributes:
        msg: The message.
        path: The offending path, as the operating system gave it.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.symlink("elsewhere", os.path.join(tree, "link"))
        >>> try:
        ...     seedbundle.pack(tree)
        ... except seedbundle.PackError as error:
        ...     print(error.path == os.path.join(tree, "link"))
        True

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, path: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msg, self.path))


class PackWarning(UserWarning):
    """Issued for a path that :func:`pack` leaves out on purpose.

    That is an empty directory (a bundle stores files only), a symbolic
    link when ``symlinks="skip"``, and the output file itself when it lies
    inside the tree being packed. Ignored files are left out without a
    warning: the caller asked for that.

    Attributes:
        path: The path that was left out.

    Examples:
        >>> import os, tempfile, warnings, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.mkdir(os.path.join(tree, "empty"))
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     bundle = seedbundle.pack(tree)
        >>> print(caught[0].message)
        skipped the empty directory 'empty/': a bundle stores files only

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, path: str) -> None:
        super().__init__(msg)
        self.path = path


class UnpackError(BundleError, ValueError):
    """Raised when :func:`unpack` refuses a bundle; nothing has been written.

    The reasons are an entry name that is unsafe as a relative path, two
    names that would land on the same file, and a target directory where
    writing would go through a symbolic link or replace an existing file.

    Attributes:
        msg: The message.
        name: The entry name at fault.

    Examples:
        >>> import tempfile, seedbundle
        >>> evil = seedbundle.Bundle([seedbundle.Entry("../escape.txt", "x")])
        >>> try:
        ...     seedbundle.unpack(evil, tempfile.mkdtemp())
        ... except seedbundle.UnpackError as error:
        ...     print(error)
        unsafe entry name '../escape.txt': it has a '..' segment, which would climb out of the target directory

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, name: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.name = name

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msg, self.name))


# -- names ---------------------------------------------------------------


def name_problem(name: str) -> str | None:
    """Say why ``name`` is unsafe as a path below a directory, or return None.

    These rules hold on every platform; on Windows, device names such as
    ``CON`` or ``aux.txt``, the characters ``<>:"|?*`` and segments ending
    in a dot or a space are refused as well.
    """
    if name.startswith("/"):
        return "it is an absolute path"
    if _DRIVE.match(name):
        return "it begins with a drive letter"
    if name.endswith("/"):
        return "it ends in '/', so it names a directory, not a file"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    for segment in name.split("/"):
        problem = _segment_problem(segment)
        if problem is not None:
            return problem
    return None


def _segment_problem(segment: str) -> str | None:
    if not segment:
        return "it has an empty segment ('//')"
    if segment == ".":
        return "it has a '.' segment"
    if segment == "..":
        return "it has a '..' segment, which would climb out of the target directory"
    if "\\" in segment:
        return "it holds a backslash; entry names separate directories with '/' only"
    control = _CONTROL.search(segment)
    if control is not None:
        return f"it holds the control character U+{ord(control.group()):04X}"
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    bare = segment.rstrip(". ") if _WINDOWS else segment
    if bare.casefold() == ".git":
        return "it writes into a '.git' directory"
    if _WINDOWS:
        return _windows_segment_problem(segment)
    return None


def _windows_segment_problem(segment: str) -> str | None:
    if _WINDOWS_DEVICE.fullmatch(segment):
        return f"{segment!r} is a reserved device name on Windows"
    forbidden = _WINDOWS_FORBIDDEN.search(segment)
    if forbidden is not None:
        return f"it holds {forbidden.group()!r}, which Windows does not allow in a file name"
    if segment.endswith((".", " ")):
        return "a segment ends in a dot or a space, which Windows drops"
    return None


def _fold(name: str) -> str:
    """The key under which a case- and normalization-insensitive file system stores a name."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


class _NameSet:
    """Checks each new name on its own and against the names seen before it."""

    def __init__(self, *, allow_case_conflicts: bool) -> None:
        self._fold = (lambda name: name) if allow_case_conflicts else _fold
        self._files: dict[str, str] = {}
        self._dirs: dict[str, str] = {}
        self.names: set[str] = set()

    def add(self, name: str) -> None:
        problem = name_problem(name)
        if problem is not None:
            raise UnpackError(f"unsafe entry name {name!r}: {problem}", name)
        key = self._fold(name)
        other = self._files.get(key)
        if other == name:
            raise UnpackError(f"duplicate entry name {name!r}", name)
        if other is not None:
            raise UnpackError(
                f"the entries {other!r} and {name!r} differ only in case or Unicode"
                " normalization, so one would overwrite the other on a case-insensitive file"
                " system (pass allow_case_conflicts=True, or --allow-case-conflicts, to unpack"
                " them anyway)",
                name,
            )
        if key in self._dirs:
            raise UnpackError(
                f"the entry {name!r} is a file, but the entry {self._dirs[key]!r} needs a"
                " directory of that name",
                name,
            )
        parts = key.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in self._files:
                raise UnpackError(
                    f"the entry {name!r} needs a directory where the entry {self._files[prefix]!r} is a file",
                    name,
                )
            self._dirs.setdefault(prefix, name)
        self._files[key] = name
        self.names.add(name)


def check_names(names: Iterable[str], *, allow_case_conflicts: bool = False) -> None:
    """Raise :class:`UnpackError` for the first name that unpack would refuse."""
    checker = _NameSet(allow_case_conflicts=allow_case_conflicts)
    for name in names:
        checker.add(name)


# -- selecting files -----------------------------------------------------


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    # Imported here so that `import seedbundle` (and loads/dumps) never pays for it.
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


@attrs.frozen
class _IgnoreFile:
    base: str  # the directory of the ignore file, relative to the ignore root, with '/'
    spec: pathspec.GitIgnoreSpec


def _read_ignore_file(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    # git reads ignore files as bytes; a byte that is not UTF-8 cannot be part
    # of a UTF-8 name, so replacing it never changes which names match.
    lines = data.decode("utf-8", "replace").splitlines()
    return _spec(lines) if any(line.strip() for line in lines) else None


def _ignored(rules: Sequence[_IgnoreFile], path: str, is_dir: bool) -> bool:
    """Apply ignore files like git: the deepest file with a matching pattern decides."""
    candidate = path + "/" if is_dir else path
    for rule in reversed(rules):
        if candidate.startswith(rule.base):
            include = rule.spec.check_file(candidate[len(rule.base) :]).include
            if include is not None:
                return bool(include)
    return False


def _enclosing_rules(root: str) -> tuple[tuple[_IgnoreFile, ...], str]:
    """The ignore files of the git work tree around ``root``, and root's path in it.

    Packing a subdirectory of a repository honours the ignore files of its
    parents, as git does. If git would ignore the directory itself, the caller
    asked for it explicitly, so only the ignore files inside it apply.
    """
    absolute = os.path.abspath(root)
    top = absolute
    while not os.path.lexists(os.path.join(top, ".git")):
        parent = os.path.dirname(top)
        if parent == top:
            return (), ""
        top = parent
    rules: list[_IgnoreFile] = []
    excludes = _read_ignore_file(os.path.join(top, ".git", "info", "exclude"))
    if excludes is not None:
        rules.append(_IgnoreFile("", excludes))
    lead = ""
    current = top
    for part in os.path.relpath(absolute, top).split(os.sep) if absolute != top else []:
        spec = _read_ignore_file(os.path.join(current, ".gitignore"))
        if spec is not None:
            rules.append(_IgnoreFile(lead, spec))
        lead += part + "/"
        current = os.path.join(current, part)
        if _ignored(rules, lead[:-1], is_dir=True):
            return (), ""
    return tuple(rules), lead


@attrs.frozen
class _Selection:
    gitignore: bool
    include: pathspec.GitIgnoreSpec | None
    exclude: pathspec.GitIgnoreSpec | None


def _patterns(what: str, patterns: Sequence[str]) -> pathspec.GitIgnoreSpec | None:
    if isinstance(patterns, str):
        raise TypeError(f"{what} must be a sequence of patterns, not one str")
    return _spec(patterns) if patterns else None


# -- packing -------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


class _Walker:
    """Yields the entries of a tree in path-component order."""

    def __init__(
        self,
        root: str,
        selection: _Selection,
        *,
        symlinks: SymlinkPolicy,
        output: tuple[int, int] | None,
    ) -> None:
        self.root = root
        self.selection = selection
        self.symlinks = symlinks
        self.output = output

    def entries(self) -> Iterator[Entry]:
        try:
            info = os.stat(self.root)
        except FileNotFoundError:
            raise PackError(f"{self.root!r} does not exist", self.root) from None
        if not stat.S_ISDIR(info.st_mode):
            raise PackError(f"{self.root!r} is not a directory", self.root)
        rules, lead = _enclosing_rules(self.root) if self.selection.gitignore else ((), "")
        yield from self._walk(self.root, "", rules, lead, {(info.st_dev, info.st_ino)})

    def _walk(
        self,
        directory: str,
        rel: str,
        rules: tuple[_IgnoreFile, ...],
        lead: str,
        ancestors: set[tuple[int, int]],
    ) -> Iterator[Entry]:
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda child: child.name)
        if not children and rel:
            _warn(f"skipped the empty directory {rel!r}: a bundle stores files only", directory)
        if self.selection.gitignore:
            spec = _read_ignore_file(os.path.join(directory, ".gitignore"))
            if spec is not None:
                rules = (*rules, _IgnoreFile(lead + rel, spec))
        for child in children:
            if child.name == ".git":
                continue
            yield from self._visit(child, rel + child.name, rules, lead, ancestors)

    def _visit(
        self,
        child: os.DirEntry[str],
        name: str,
        rules: tuple[_IgnoreFile, ...],
        lead: str,
        ancestors: set[tuple[int, int]],
    ) -> Iterator[Entry]:
        path = child.path
        info: os.stat_result | None = None
        if child.is_symlink():
            if self.symlinks == "skip":
                if not self._excluded(name, False, rules, lead):
                    _warn(f"skipped the symbolic link {name!r}", path)
                return
            if self.symlinks == "error":
                if not self._excluded(name, False, rules, lead):
                    raise PackError(
                        f"{path!r} is a symbolic link, which a bundle cannot store"
                        " (skip links with symlinks='skip' / --skip-symlinks, or pack what they"
                        " point to with symlinks='follow' / --follow-symlinks)",
                        path,
                    )
                return
            try:
                info = os.stat(path)
            except OSError as error:
                raise PackError(f"{path!r} is a broken symbolic link: {error.strerror}", path) from None
            is_dir = stat.S_ISDIR(info.st_mode)
        else:
            is_dir = child.is_dir(follow_symlinks=False)
        if self._excluded(name, is_dir, rules, lead):
            return
        _check_pack_name(child.name, path)
        if is_dir:
            yield from self._enter(path, name, rules, lead, ancestors, info)
        elif stat.S_ISREG(info.st_mode) if info else child.is_file(follow_symlinks=False):
            if self.selection.include is None or self.selection.include.match_file(name):
                entry = self._read(path, name)
                if entry is not None:
                    yield entry
        else:
            mode = info.st_mode if info is not None else child.stat(follow_symlinks=False).st_mode
            raise PackError(f"{path!r} is {_kind(mode)}, which a bundle cannot store (exclude it)", path)

    def _enter(
        self,
        path: str,
        name: str,
        rules: tuple[_IgnoreFile, ...],
        lead: str,
        ancestors: set[tuple[int, int]],
        info: os.stat_result | None,
    ) -> Iterator[Entry]:
        if info is None:  # a real directory: it cannot close a loop without a link
            yield from self._walk(path, name + "/", rules, lead, ancestors)
            return
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            raise PackError(f"{path!r} is a symbolic link that loops back to its own parent", path)
        yield from self._walk(path, name + "/", rules, lead, ancestors | {key})

    def _excluded(self, name: str, is_dir: bool, rules: tuple[_IgnoreFile, ...], lead: str) -> bool:
        exclude = self.selection.exclude
        if exclude is not None and exclude.match_file(name + "/" if is_dir else name):
            return True
        return bool(rules) and _ignored(rules, lead + name, is_dir)

    def _read(self, path: str, name: str) -> Entry | None:
        follow = self.symlinks == "follow"
        # O_NONBLOCK: a FIFO swapped in after the directory was listed must not hang the open.
        flags = os.O_RDONLY | _O_BINARY | _O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
        handle = os.open(path, flags if follow else flags | _O_NOFOLLOW)
        with open(handle, "rb") as file:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise PackError(f"{path!r} changed into something that is not a file", path)
            if (info.st_dev, info.st_ino) == self.output:
                _warn(f"skipped {name!r}: it is the bundle being written", path)
                return None
            data = file.read()
        return Entry(name, data, executable=bool(info.st_mode & stat.S_IXUSR))


def _warn(message: str, path: str) -> None:
    # Point the warning at the caller's code, past this package's frames and
    # the attrs-generated __init__ that consumes the walk inside pack().
    level = 2  # stacklevel 2 is the frame of sys._getframe(1)
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_globals.get("__name__", "").startswith("seedbundle")
        or frame.f_code.co_filename.startswith("<attrs generated")
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(PackWarning(message, path), stacklevel=level)


def _check_pack_name(segment: str, path: str) -> None:
    try:
        segment.encode("utf-8")
    except UnicodeEncodeError:
        raise PackError(
            f"the name {os.fsencode(path)!r} is not valid UTF-8, and a bundle stores UTF-8 names"
            " only (rename or exclude it)",
            path,
        ) from None
    problem = _segment_problem(segment)
    if problem is not None:
        raise PackError(
            f"the name {path!r} could not be unpacked safely: {problem} (rename or exclude it)",
            path,
        )


def iter_tree(
    directory: PathArg,
    /,
    *,
    gitignore: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: SymlinkPolicy = "error",
    output: tuple[int, int] | None = None,
) -> Iterator[Entry]:
    """Read the files of a tree as entries, one at a time, in path-component order.

    ``output`` is the ``(st_dev, st_ino)`` of a file to leave out: the bundle
    being written, when it lies inside the tree.
    """
    if symlinks not in ("error", "skip", "follow"):
        raise ValueError(f"symlinks must be 'error', 'skip' or 'follow', not {symlinks!r}")
    selection = _Selection(
        gitignore=gitignore,
        include=_patterns("include", include),
        exclude=_patterns("exclude", exclude),
    )
    return _Walker(os.fspath(directory), selection, symlinks=symlinks, output=output).entries()


def pack(
    directory: PathArg,
    /,
    *,
    comment: str = "",
    gitignore: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: SymlinkPolicy = "error",
) -> Bundle:
    """Read the regular files below a directory into a bundle.

    Entry names are the paths relative to ``directory`` with ``/``
    separators, in path-component order: each directory's entries sorted by
    the UTF-8 bytes of their names, a directory's files listed where the
    directory sorts. Packing the same tree twice gives equal bundles. The
    bytes and the owner's executable bit of every file are kept exactly.

    A ``.git`` directory is always left out. Unless ``gitignore`` is false,
    so is every path that git would ignore: ``.gitignore`` files in the tree
    and in its parents up to the top of the git work tree, and
    ``.git/info/exclude``.

    For a tree larger than memory use :func:`pack_to`.

    Args:
        directory: The directory to pack.
        comment: The bundle's comment.
        gitignore: Honour ``.gitignore`` files as git does.
        include: If given, pack only the files that match one of these
            patterns (``.gitignore`` syntax, relative to ``directory``).
        exclude: Leave out the files and directories that match one of
            these patterns (``.gitignore`` syntax); it wins over ``include``.
        symlinks: ``"error"`` (the default) refuses a symbolic link,
            ``"skip"`` leaves it out with a :class:`PackWarning`, and
            ``"follow"`` packs what it points to under the link's name.

    Returns:
        The bundle.

    Raises:
        PackError: For a path that cannot be stored faithfully: a symbolic
            link (by default), a special file, a name that is not UTF-8 or
            that would be unsafe to unpack, or a missing directory.
        OSError: If a file cannot be read.

    Warns:
        PackWarning: For every empty directory and skipped link.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(tree, "src"))
        >>> with open(os.path.join(tree, "src", "main.py"), "w") as f:
        ...     _ = f.write("print('hi')\\n")
        >>> with open(os.path.join(tree, "notes.log"), "w") as f:
        ...     _ = f.write("noise\\n")
        >>> seedbundle.pack(tree, exclude=["*.log"]).names
        ('src/main.py',)

    Added in version 1.0.0.
    """
    entries = iter_tree(directory, gitignore=gitignore, include=include, exclude=exclude, symlinks=symlinks)
    return Bundle(entries, comment=comment)


def file_identity(file: IO[bytes]) -> tuple[int, int] | None:
    """The ``(st_dev, st_ino)`` of a regular file behind ``file``, or None (a pipe, memory)."""
    try:
        info = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) else None


def pack_to(
    directory: PathArg,
    file: PathArg | IO[bytes],
    /,
    *,
    comment: str = "",
    sha256: bool = False,
    gitignore: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: SymlinkPolicy = "error",
) -> int:
    """Pack a directory into a bundle file, one file at a time.

    Memory holds one file of the tree at a time. The bundle is the one that
    :func:`pack` returns, written in canonical form. Written to a path, it
    appears under that name only once it is complete; a bundle file that
    lies inside the tree is not packed into itself.

    Args:
        directory: The directory to pack.
        file: A path, or a writable binary file object.
        comment: The bundle's comment.
        sha256: Add a checksum to every entry.
        gitignore: As for :func:`pack`.
        include: As for :func:`pack`.
        exclude: As for :func:`pack`.
        symlinks: As for :func:`pack`.

    Returns:
        The number of entries written.

    Raises:
        PackError: As for :func:`pack`.
        OSError: If a file cannot be read or the bundle cannot be written.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> with open(os.path.join(tree, "a.txt"), "w") as f:
        ...     _ = f.write("A\\n")
        >>> out = os.path.join(tempfile.mkdtemp(), "tree.bundle")
        >>> seedbundle.pack_to(tree, out)
        1
        >>> with open(out, "rb") as file:
        ...     seedbundle.load(file).names
        ('a.txt',)

    Added in version 1.0.0.
    """
    if isinstance(file, str | os.PathLike):
        with atomic_output(file) as output:
            return pack_to(
                directory,
                output,
                comment=comment,
                sha256=sha256,
                gitignore=gitignore,
                include=include,
                exclude=exclude,
                symlinks=symlinks,
            )
    entries = iter_tree(
        directory,
        gitignore=gitignore,
        include=include,
        exclude=exclude,
        symlinks=symlinks,
        output=file_identity(file),
    )
    count = 0
    with open_bundle(file, "w", comment=comment, sha256=sha256) as writer:
        for entry in entries:
            writer.add(entry)
            count += 1
    return count


@contextlib.contextmanager
def atomic_output(path: PathArg) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only if the ``with`` block succeeds.

    The file is made with the usual permissions (0o666 less the umask).
    """
    target = os.fspath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", target)
    file, temporary = create_beside(target)
    try:
        with file:
            yield file
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# -- unpacking: checking -------------------------------------------------


@attrs.frozen
class Planned:
    """One file that unpacking writes, or would write."""

    name: str
    size: int
    executable: bool
    replaces: bool


def _is_link(info: os.stat_result) -> bool:
    # A Windows junction is a reparse point that lstat does not report as a link.
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_reparse_tag", 0))


class _Planner:
    """The first pass: checks every name and the target directory, writing nothing."""

    def __init__(self, target: str, *, overwrite: bool, allow_case_conflicts: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        self.names = _NameSet(allow_case_conflicts=allow_case_conflicts)
        self.plan: list[Planned] = []
        self._dirs: dict[str, bool] = {"": self._target_exists()}

    def _target_exists(self) -> bool:
        try:
            info = os.stat(self.target)
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", self.target)
        return True

    def add(self, entry: Entry) -> None:
        name = entry.name
        self.names.add(name)
        parent = name.rpartition("/")[0]
        replaces = self._dir_exists(parent, name) and self._file_exists(name)
        self.plan.append(Planned(name, len(entry.data), entry.executable, replaces))

    def _dir_exists(self, directory: str, name: str) -> bool:
        """Whether ``directory`` exists as a real directory (not a link) in the target."""
        missing: list[str] = []
        while directory not in self._dirs:
            missing.append(directory)
            directory = directory.rpartition("/")[0]
        exists = self._dirs[directory]
        for prefix in reversed(missing):
            exists = exists and self._lstat_dir(prefix, name)
            self._dirs[prefix] = exists
        return exists

    def _lstat_dir(self, prefix: str, name: str) -> bool:
        try:
            info = os.lstat(os.path.join(self.target, prefix))
        except FileNotFoundError:
            return False
        if _is_link(info):
            raise UnpackError(
                f"refusing to write {name!r}: {prefix!r} is a symbolic link in the target"
                " directory, and unpack never writes through a link",
                name,
            )
        if not stat.S_ISDIR(info.st_mode):
            raise UnpackError(
                f"cannot write {name!r}: {prefix!r} already exists in the target directory and is"
                " not a directory",
                name,
            )
        return True

    def _file_exists(self, name: str) -> bool:
        try:
            info = os.lstat(os.path.join(self.target, name))
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(info.st_mode) and not _is_link(info):
            raise UnpackError(
                f"cannot write {name!r}: a directory of that name exists in the target directory",
                name,
            )
        if not self.overwrite:
            raise UnpackError(
                f"{name!r} already exists in the target directory (pass overwrite=True, or"
                " --force, to replace it)",
                name,
            )
        return True


# -- unpacking: writing --------------------------------------------------


class _Dir:
    """A directory inside the target, open as a file descriptor where the OS allows."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def at(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self.path, name)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _open_root(path: str) -> _Dir:
    if not _USE_DIR_FD:
        return _Dir(path, None)
    return _Dir(path, os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC))


def _open_child(parent: _Dir, name: str, rel: str) -> _Dir | None:
    """Open the directory ``name`` in ``parent`` without following a link; None if missing."""
    path = os.path.join(parent.path, name)
    if parent.fd is None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        if _is_link(info) or not stat.S_ISDIR(info.st_mode):
            raise UnpackError(f"{rel!r} became a link or a file while unpacking", rel)
        return _Dir(path, None)
    flags = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
    try:
        return _Dir(path, os.open(name, flags, dir_fd=parent.fd))
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise UnpackError(f"{rel!r} became a link or a file while unpacking", rel) from None
        raise


@attrs.define
class _Staged:
    directory: str
    temporary: str
    final: str
    replaces: bool
    committed: bool = False


class _Writer:
    """The second pass: writes temporary files, then moves them all into place."""

    def __init__(self, target: str, names: set[str], *, overwrite: bool) -> None:
        self.target = target
        self.names = names
        self.overwrite = overwrite
        self.created_dirs: list[str] = []  # below the target, relative to it
        self.created_above: list[str] = []  # absolute parents of the target that we made
        self.staged: list[_Staged] = []
        self._cached: tuple[str, _Dir] | None = None
        self._root: _Dir | None = None

    def __enter__(self) -> _Writer:
        try:
            self._make_target()
            self._root = _open_root(self.target)
        except BaseException:
            self._remove_created_above()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is not None:
            self._rollback()
        self._close()

    def _make_target(self) -> None:
        missing: list[str] = []
        path = os.path.abspath(self.target)
        while not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for path in reversed(missing):
            os.mkdir(path)
            self.created_above.append(path)

    def _close(self) -> None:
        if self._cached is not None:
            self._cached[1].close()
            self._cached = None
        if self._root is not None:
            self._root.close()
            self._root = None

    def _dir(self, rel: str, *, create: bool) -> _Dir:
        """The directory ``rel`` (relative to the target), walked one safe step at a time."""
        if self._cached is not None and self._cached[0] == rel:
            return self._cached[1]
        if self._cached is not None:
            self._cached[1].close()
            self._cached = None
        assert self._root is not None
        current = _Dir(self._root.path, None if self._root.fd is None else os.dup(self._root.fd))
        done = ""
        try:
            for part in rel.split("/") if rel else []:
                done = f"{done}/{part}" if done else part
                child = _open_child(current, part, done)
                if child is None:
                    if not create:
                        raise FileNotFoundError(errno.ENOENT, "No such directory", done)
                    os.mkdir(current.at(part), 0o777, dir_fd=current.fd)
                    self.created_dirs.append(done)
                    child = _open_child(current, part, done)
                    if child is None:  # pragma: no cover - removed right after mkdir
                        raise FileNotFoundError(errno.ENOENT, "No such directory", done)
                current.close()
                current = child
        except BaseException:
            current.close()
            raise
        self._cached = (rel, current)
        return current

    def stage(self, entry: Entry, replaces: bool) -> None:
        directory, _, final = entry.name.rpartition("/")
        handle = self._dir(directory, create=True)
        mode = 0o777 if entry.executable else 0o666  # less the umask, as for any new file
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        while True:
            temporary = f".seedbundle-{secrets.token_hex(6)}.part"
            if f"{directory}/{temporary}".lstrip("/") in self.names:
                continue  # pragma: no cover - a name chosen to collide
            try:
                fd = os.open(handle.at(temporary), flags, mode, dir_fd=handle.fd)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            break
        self.staged.append(_Staged(directory, temporary, final, replaces))
        with open(fd, "wb") as file:
            file.write(entry.data)

    def commit(self) -> None:
        for item in self.staged:
            handle = self._dir(item.directory, create=False)
            name = f"{item.directory}/{item.final}".lstrip("/")
            if self.overwrite:
                _move(handle, item.temporary, item.final)
            else:
                _move_no_replace(handle, item.temporary, item.final, name)
            item.committed = True
            with contextlib.suppress(FileNotFoundError):  # a hard link leaves the old name
                os.unlink(handle.at(item.temporary), dir_fd=handle.fd)

    def _rollback(self) -> None:
        if self._root is None:  # the target itself could not be made
            self._remove_created_above()
            return
        for item in reversed(self.staged):
            names = [item.temporary]
            if item.committed and not item.replaces:
                # A replaced file stays replaced: its old content is gone.
                names.append(item.final)
            for name in names:
                with contextlib.suppress(OSError, UnpackError):
                    handle = self._dir(item.directory, create=False)
                    os.unlink(handle.at(name), dir_fd=handle.fd)
        for rel in reversed(self.created_dirs):
            parent, _, name = rel.rpartition("/")
            with contextlib.suppress(OSError, UnpackError):
                handle = self._dir(parent, create=False)
                os.rmdir(handle.at(name), dir_fd=handle.fd)
        self._close()
        self._remove_created_above()

    def _remove_created_above(self) -> None:
        for path in reversed(self.created_above):
            with contextlib.suppress(OSError):
                os.rmdir(path)


def _move(handle: _Dir, temporary: str, final: str) -> None:
    if handle.fd is None:
        os.replace(handle.at(temporary), handle.at(final))
    else:  # rename(2) replaces an existing file atomically, as os.replace does
        os.rename(temporary, final, src_dir_fd=handle.fd, dst_dir_fd=handle.fd)


def _move_no_replace(handle: _Dir, temporary: str, final: str, name: str) -> None:
    """Move without ever replacing a file that appeared since the first pass."""
    try:
        # A hard link fails if the name exists, where a rename would replace it.
        os.link(
            handle.at(temporary),
            handle.at(final),
            src_dir_fd=handle.fd,
            dst_dir_fd=handle.fd,
            **_LINK_NO_FOLLOW,
        )
    except FileExistsError:
        raise UnpackError(
            f"{name!r} appeared in the target directory during the unpack; it was left alone",
            name,
        ) from None
    except OSError:  # no hard links on this file system: check, then move
        if os.path.lexists(os.path.join(handle.path, final)):
            raise UnpackError(
                f"{name!r} appeared in the target directory during the unpack; it was left alone",
                name,
            ) from None
        _move(handle, temporary, final)


# -- unpacking: the two passes -------------------------------------------

EntrySource = Callable[[], contextlib.AbstractContextManager[Iterable[Entry]]]


# A bundle whose data fits in this many bytes is read once and kept in memory
# for the writing pass; a larger one is read a second time instead.
_KEEP_BYTES = 32 * 1024 * 1024


def unpack_entries(
    source: EntrySource,
    directory: PathArg,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
    progress: Callable[[Entry, int], object] | None = None,
) -> list[Planned]:
    """Check everything, then write; ``source`` must give the same entries each time.

    ``progress`` is called after each file is written, with the entry and
    the total number of bytes to write.
    """
    target = os.fspath(directory)
    planner = _Planner(target, overwrite=overwrite, allow_case_conflicts=allow_case_conflicts)
    kept: list[Entry] | None = []
    kept_bytes = 0
    with source() as entries:
        for entry in entries:
            planner.add(entry)
            if kept is not None:
                kept_bytes += len(entry.data)
                if kept_bytes > _KEEP_BYTES:
                    kept = None
                else:
                    kept.append(entry)
    if dry_run:
        return planner.plan
    again = source if kept is None else _replay(kept)
    with _Writer(target, planner.names.names, overwrite=overwrite) as writer:
        _write_pass(writer, again, planner.plan, progress)
        writer.commit()
    return planner.plan


def _replay(entries: list[Entry]) -> EntrySource:
    return lambda: contextlib.nullcontext(entries)


def _write_pass(
    writer: _Writer,
    source: EntrySource,
    plan: list[Planned],
    progress: Callable[[Entry, int], object] | None,
) -> None:
    total = sum(item.size for item in plan)
    with source() as entries:
        index = 0
        for index, entry in enumerate(entries, 1):
            if index > len(plan) or plan[index - 1].name != entry.name:
                raise UnpackError("the bundle changed while it was being unpacked", entry.name)
            writer.stage(entry, plan[index - 1].replaces)
            if progress is not None:
                progress(entry, total)
        if index != len(plan):
            raise UnpackError("the bundle changed while it was being unpacked", "")


def _check_unpack_options(directory: object, overwrite: object, dry_run: object) -> None:
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, not {type(directory).__name__}")
    for option, value in (("overwrite", overwrite), ("dry_run", dry_run)):
        if not isinstance(value, bool):
            raise TypeError(f"{option} must be a bool, not {type(value).__name__}")


def unpack(
    bundle: Bundle,
    directory: PathArg,
    /,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Write the entries of a bundle as files below a directory, safely.

    The bundle is treated as untrusted. Before anything is written, every
    name is checked: it must be a relative path with ``/`` separators and
    no empty, ``.`` or ``..`` segment, backslash, drive letter, control
    character or ``.git`` segment; no two names may differ only in case or
    Unicode normalization; no name may be both a file and a directory. On
    the disk, no directory on the way may be a symbolic link, and no file
    may already exist unless ``overwrite`` is true.

    Then each file is written under a temporary name in its directory, and
    when all are written they are moved into place. If anything fails,
    every file and directory that this call created is removed again (a
    file replaced with ``overwrite=True`` stays replaced). New files get
    the permissions 0o666, or 0o777 for executable entries, less the umask.

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
        UnpackError: If the bundle is refused; nothing has been written.
        OSError: If the file system fails; what this call created is removed.
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
    return tuple(item.name for item in plan)


@contextlib.contextmanager
def _seekable(file: IO[bytes]) -> Iterator[IO[bytes]]:
    """The file itself if it can be read twice, else a temporary copy of it."""
    if file.seekable():
        yield file
        return
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(file, copy)
        copy.seek(0)
        yield copy


@contextlib.contextmanager
def reader_source(
    file: PathArg | IO[bytes], *, strict: bool
) -> Iterator[Callable[[], contextlib.AbstractContextManager[BundleReader]]]:
    """A factory of fresh readers over the same bundle, for a two-pass unpack."""
    if isinstance(file, str | os.PathLike):
        yield lambda: open_bundle(file, "r", strict=strict)
        return
    with _seekable(file) as seekable:
        start = seekable.tell()

        def fresh() -> contextlib.AbstractContextManager[BundleReader]:
            seekable.seek(start)
            return open_bundle(seekable, "r", strict=strict)

        yield fresh


def unpack_from(
    file: PathArg | IO[bytes],
    directory: PathArg,
    /,
    *,
    strict: bool = True,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Unpack a bundle file below a directory, one entry at a time.

    Like :func:`unpack`, with the same checks, but the bundle is read from a
    path or a binary file object and memory holds one entry at a time. The
    bundle is read twice: once to check it, once to write it. A file object
    that cannot seek (a pipe) is first copied to a temporary file.

    Args:
        file: A path, or a readable binary file object.
        directory: The target directory; it is created if it is missing.
        strict: As for :func:`seedbundle.loads`.
        overwrite: As for :func:`unpack`.
        dry_run: As for :func:`unpack`.
        allow_case_conflicts: As for :func:`unpack`.

    Returns:
        The names of the files written (or that would be written).

    Raises:
        BundleDecodeError: If the bundle is invalid; nothing has been written.
        UnpackError: As for :func:`unpack`.
        OSError: As for :func:`unpack`.

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
    return tuple(item.name for item in plan)
