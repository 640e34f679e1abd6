"""Which files of a tree go into a bundle, read one at a time in path-component order.

The walk lists each directory sorted by the UTF-8 bytes of its entry names,
so entry names come out in path-component order (``a/b`` before ``a-c``) and
packing the same tree twice gives the same bytes. Only regular files are
stored; anything else is refused with a message that names the path, or
left out with a [`PackWarning`][PackWarning] when the caller asked for that.

Which files are considered at all is git's business. In a git work tree
(with git on the PATH) the walk takes only the files that ``git ls-files
--cached --others --exclude-standard`` lists; elsewhere, or with
``git=False``, it reads the ignore files itself with ``_ignore``,
which matches them as git does. The walk is a loop over an explicit stack,
so a tree as deep as the OS allows does not exhaust Python's recursion.
"""

from __future__ import annotations

import os
import stat
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import attrs

from ._errors import PackError, PackWarning
from ._ignore import (
    GitFailure,
    GitListing,
    GitPattern,
    PatternList,
    Rules,
    compile_patterns,
    describe_kind,
    find_repository,
    git_ignore_reasons,
    git_listing,
    global_excludes_path,
    is_repository,
    read_ignore_file,
)
from ._names import segment_problem

__all__ = ["FoundFile", "Ignored", "IgnoredHook", "SymlinkPolicy", "select_files", "warn"]

SymlinkPolicy = Literal["error", "skip", "follow"]


@attrs.frozen
class Ignored:
    """A path that [`pack`][pack] leaves out on purpose, and why.

    Pass a callable as ``ignored=`` to [`pack`][pack], [`pack_to`][pack_to] or
    ``iter_tree`` to hear of each one, in the order of the walk. A directory
    left out whole is reported once, its name ending in ``/``; the ``.git``
    directory is never reported.

    Attributes:
        name: The path relative to the packed directory, with ``/``.
        reason: Why: the ignore pattern as ``source:line:pattern`` (the
            form of ``git check-ignore -v``), ``exclude pattern '...'``,
            ``matches no include pattern``, ``a nested git repository``,
            ``prompt profile: ...`` (see [`PromptProfile`][seedbundle.PromptProfile]), or
            what git said.

    Examples:
        >>> import pathlib, tempfile, seedbundle
        >>> tree = pathlib.Path(tempfile.mkdtemp())
        >>> for name, text in [(".gitignore", "*.log\\n"), ("a.log", ""), ("a.py", "")]:
        ...     _ = (tree / name).write_text(text)
        >>> left_out = []
        >>> seedbundle.pack(tree, git=False, ignored=left_out.append).names
        ('.gitignore', 'a.py')
        >>> left_out
        [Ignored(name='a.log', reason='.gitignore:1:*.log')]

    Added in version 1.1.0.
    """

    name: str
    reason: str


# As for the exceptions (see _errors): pickles and the API reference name the public package.
Ignored.__module__ = "seedbundle"
for _method in vars(Ignored).values():
    if callable(_method) and hasattr(_method, "__module__"):
        _method.__module__ = "seedbundle"  # else documentation tools see a loop of aliases
IgnoredHook = Callable[[Ignored], object]


@attrs.frozen
class FoundFile:
    """A regular file that the walk selected, not yet read."""

    name: str  # the entry name: the path relative to the root, with '/'
    path: str  # the path to open
    follow: bool  # whether opening it may follow a symbolic link


@attrs.frozen
class _Selection:
    gitignore: bool
    git: bool
    include: PatternList | None
    exclude: PatternList | None
    ignored: IgnoredHook | None


@attrs.frozen
class _Frame:
    """One directory of the walk: its entries still to visit, and what holds inside it."""

    children: Iterator[os.DirEntry[str]]
    rel: str  # the directory's path relative to the root, with a trailing '/' (or "")
    rules: Rules | None  # the ignore rules in force, when the walk reads ignore files itself
    ancestors: frozenset[tuple[int, int]]  # the directories that a followed link must not loop back to
    included: bool  # a directory above matched an include pattern
    listed: bool  # git's listing applies below (False below a followed link)


class _Walker:
    """Yields the selected files of a tree in path-component order."""

    def __init__(self, root: str, selection: _Selection, *, symlinks: SymlinkPolicy) -> None:
        self.root = root
        self.selection = selection
        self.symlinks = symlinks
        self.lead = b""  # root's path below the top of its work tree, for matching ignore files
        self.listing: GitListing | None = None
        self.reasons: dict[str, str] = {}

    def files(self) -> Iterator[FoundFile]:
        try:
            info = os.stat(self.root)
        except FileNotFoundError:
            raise PackError(f"{self.root!r} does not exist", self.root) from None
        if not stat.S_ISDIR(info.st_mode):
            raise PackError(f"{self.root!r} is not a directory", self.root)
        rules = self._start() if self.selection.gitignore else None
        top = self._frame(self.root, "", rules, frozenset({(info.st_dev, info.st_ino)}), False, True)
        stack = [top]
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:
                stack.pop()
                continue
            found = self._visit(child, frame)
            if isinstance(found, FoundFile):
                yield found
            elif found is not None:
                stack.append(found)

    def _start(self) -> Rules | None:
        """Ask git for the files, or return the ignore rules that hold at the root."""
        if self.selection.git:
            try:
                self.listing = git_listing(self.root)
                if self.listing is not None and self.selection.ignored is not None:
                    self.reasons = git_ignore_reasons(self.root)
            except GitFailure as failure:
                self.listing = None
                warn(f"{failure}; reading the ignore files without git", self.root)
            if self.listing is not None:
                return None
        return self._enclosing_rules()

    def _enclosing_rules(self) -> Rules:
        """The ignore files of the work tree around the root that apply to it, as git reads them.

        Packing a subdirectory of a repository honours the ignore files of
        its parents. If those ignore the directory itself, the caller asked
        for it by name, so only the ignore files inside it apply.
        """
        repository = find_repository(self.root)
        if repository is None:
            return Rules()
        files = []
        if repository.common_dir is not None:
            exclude = os.path.join(repository.common_dir, "info", "exclude")
            files.append(read_ignore_file(exclude, source=exclude, follow=True).patterns)
        excludes = global_excludes_path()
        if excludes is not None:
            files.append(read_ignore_file(excludes, source=excludes, follow=True).patterns)
        rules = Rules(files=tuple(patterns for patterns in files if patterns))
        absolute = os.path.abspath(self.root)
        current, lead = repository.top, ""
        for part in os.path.relpath(absolute, current).split(os.sep) if absolute != current else []:
            rules = rules.push(self._ignore_file(current, os.fsencode(lead), lead))
            lead += part + "/"
            current = os.path.join(current, part)
            if rules.excluded(os.fsencode(lead[:-1]), True) is not None:
                return Rules()
        self.lead = os.fsencode(lead)
        return rules

    def _ignore_file(self, directory: str, base: bytes, shown: str) -> tuple[GitPattern, ...]:
        """The patterns of the ``.gitignore`` in ``directory``; ``base`` is its path for matching."""
        path = os.path.join(directory, ".gitignore")
        read = read_ignore_file(path, source=shown + ".gitignore", base=base)
        if read.problem is not None:
            warn(f"skipped the ignore file {path!r}: {read.problem}", path)
        return read.patterns

    def _frame(
        self,
        directory: str,
        rel: str,
        rules: Rules | None,
        ancestors: frozenset[tuple[int, int]],
        included: bool,
        listed: bool,
    ) -> _Frame:
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda child: child.name)
        if not children and rel:
            warn(f"skipped the empty directory {rel!r}: a bundle stores files only", directory)
        if rules is not None:
            rules = rules.push(self._ignore_file(directory, self.lead + _bytes(rel), rel))
        return _Frame(iter(children), rel, rules, ancestors, included, listed)

    def _visit(self, child: os.DirEntry[str], frame: _Frame) -> FoundFile | _Frame | None:
        if child.name == ".git":
            return None
        name = frame.rel + child.name
        path = child.path
        link = child.is_symlink()
        # git never sees through a link: for matching, a link is a file.
        is_dir = not link and child.is_dir(follow_symlinks=False)
        reason = self._left_out(child, name, is_dir, frame)
        if reason is not None:
            self._report(name + "/" if is_dir else name, reason)
            return None
        info: os.stat_result | None = None
        if link:
            info = self._link(path, name)
            if info is None:
                return None
            is_dir = stat.S_ISDIR(info.st_mode)
        _check_pack_name(child.name, path)
        if is_dir:
            return self._enter(path, name, frame, info, listed=frame.listed and not link)
        if not (stat.S_ISREG(info.st_mode) if info else child.is_file(follow_symlinks=False)):
            mode = info.st_mode if info is not None else child.stat(follow_symlinks=False).st_mode
            raise PackError(
                f"{path!r} is {describe_kind(mode)}, which a bundle cannot store (exclude it)", path
            )
        include = self.selection.include
        if include is not None and not frame.included and include.decides(_bytes(name), False) is None:
            self._report(name, "matches no include pattern")
            return None
        return FoundFile(name, path, follow=self.symlinks == "follow")

    def _left_out(self, child: os.DirEntry[str], name: str, is_dir: bool, frame: _Frame) -> str | None:
        """Why git, an ignore file or an exclude pattern leaves the entry out, or None."""
        exclude = self.selection.exclude
        if exclude is not None:
            pattern = exclude.decides(_bytes(name), is_dir)
            if pattern is not None:
                return f"exclude pattern {pattern.text!r}"
        if self.listing is not None and frame.listed:
            return self._unlisted(name, is_dir)
        if frame.rules is None:
            return None
        pattern = frame.rules.excluded(self.lead + _bytes(name), is_dir)
        if pattern is not None:
            return pattern.reason
        if is_dir and is_repository(child.path):
            return "a nested git repository"
        return None

    def _unlisted(self, name: str, is_dir: bool) -> str | None:
        listing = self.listing
        assert listing is not None
        if name in (listing.directories if is_dir else listing.files):
            return None
        if name in listing.nested:
            return "a nested git repository"
        if is_dir and name in listing.files:
            return "a submodule"
        if is_dir:
            return self.reasons.get(name + "/", "git lists no file in it")
        return self.reasons.get(name, "not listed by git ls-files")

    def _link(self, path: str, name: str) -> os.stat_result | None:
        if self.symlinks == "skip":
            warn(f"skipped the symbolic link {name!r}", path)
            return None
        if self.symlinks == "error":
            raise PackError(
                f"{path!r} is a symbolic link, which a bundle cannot store"
                " (skip links with symlinks='skip' / --skip-symlinks, or pack what they"
                " point to with symlinks='follow' / --follow-symlinks)",
                path,
            )
        try:
            return os.stat(path)
        except OSError as error:
            raise PackError(f"{path!r} is a broken symbolic link: {error.strerror}", path) from None

    def _enter(
        self, path: str, name: str, frame: _Frame, info: os.stat_result | None, *, listed: bool
    ) -> _Frame:
        ancestors = frame.ancestors
        if info is not None:  # a real directory cannot close a loop without a link
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                raise PackError(f"{path!r} is a symbolic link that loops back to its own parent", path)
            ancestors = ancestors | {key}
        include = self.selection.include
        included = frame.included or (include is not None and include.decides(_bytes(name), True) is not None)
        rules = frame.rules if listed or self.listing is None else None
        return self._frame(path, name + "/", rules, ancestors, included, listed)

    def _report(self, name: str, reason: str) -> None:
        if self.selection.ignored is not None:
            self.selection.ignored(Ignored(name, reason))


def _bytes(name: str) -> bytes:
    return os.fsencode(name)


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
    git: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: SymlinkPolicy = "error",
    ignored: IgnoredHook | None = None,
) -> Iterator[FoundFile]:
    """The files of a tree that a bundle would hold, one at a time, in path-component order.

    Problems (a symbolic link by default, a special file, an unsafe name)
    raise [`PackError`][PackError] when the walk reaches them; an include or
    exclude pattern that can match nothing raises ``PatternError`` (a
    ValueError) at once.
    """
    if symlinks not in ("error", "skip", "follow"):
        raise ValueError(f"symlinks must be 'error', 'skip' or 'follow', not {symlinks!r}")
    selection = _Selection(
        gitignore=gitignore,
        git=git,
        include=compile_patterns("include", include),
        exclude=compile_patterns("exclude", exclude),
        ignored=ignored,
    )
    return _Walker(os.fspath(directory), selection, symlinks=symlinks).files()
