"""Which files of a tree go into a bundle, read one at a time in path-component order.

The walk lists each directory sorted by the UTF-8 bytes of its entry names,
so entry names come out in path-component order (``a/b`` before ``a-c``) and
packing the same tree twice gives the same bytes. Only regular files are
stored; anything else is refused with a message that names the path, or
left out with a :class:`PackWarning` when the caller asked for that.
"""

from __future__ import annotations

import os
import stat
import sys
import types
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ._errors import PackError, PackWarning
from ._names import segment_problem

if TYPE_CHECKING:
    import pathspec

__all__ = ["FoundFile", "SymlinkPolicy", "select_files", "warn"]

SymlinkPolicy = Literal["error", "skip", "follow"]


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


@attrs.frozen
class FoundFile:
    """A regular file that the walk selected, not yet read."""

    name: str  # the entry name: the path relative to the root, with '/'
    path: str  # the path to open
    follow: bool  # whether opening it may follow a symbolic link


class _Walker:
    """Yields the selected files of a tree in path-component order."""

    def __init__(
        self,
        root: str,
        selection: _Selection,
        *,
        symlinks: SymlinkPolicy,
    ) -> None:
        self.root = root
        self.selection = selection
        self.symlinks = symlinks

    def files(self) -> Iterator[FoundFile]:
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
    ) -> Iterator[FoundFile]:
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda child: child.name)
        if not children and rel:
            warn(f"skipped the empty directory {rel!r}: a bundle stores files only", directory)
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
    ) -> Iterator[FoundFile]:
        path = child.path
        info: os.stat_result | None = None
        if child.is_symlink():
            if self.symlinks == "skip":
                if not self._excluded(name, False, rules, lead):
                    warn(f"skipped the symbolic link {name!r}", path)
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
                yield FoundFile(name, path, follow=self.symlinks == "follow")
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
    ) -> Iterator[FoundFile]:
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


def warn(message: str, path: str) -> None:
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
    problem = segment_problem(segment)
    if problem is not None:
        raise PackError(
            f"the name {path!r} could not be unpacked safely: {problem} (rename or exclude it)",
            path,
        )


def select_files(
    directory: str | os.PathLike[str],
    /,
    *,
    gitignore: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: SymlinkPolicy = "error",
) -> Iterator[FoundFile]:
    """The files of a tree that a bundle would hold, one at a time, in path-component order.

    Problems (a symbolic link by default, a special file, an unsafe name)
    raise :class:`PackError` when the walk reaches them.
    """
    if symlinks not in ("error", "skip", "follow"):
        raise ValueError(f"symlinks must be 'error', 'skip' or 'follow', not {symlinks!r}")
    selection = _Selection(
        gitignore=gitignore,
        include=_patterns("include", include),
        exclude=_patterns("exclude", exclude),
    )
    return _Walker(os.fspath(directory), selection, symlinks=symlinks).files()
