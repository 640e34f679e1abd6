"""Which paths git leaves out: ignore files read, and patterns matched, as git 2.39 does.

Everything here works on bytes, because git does: an ignore file is split on
LF only, and a pattern is matched against the bytes of the UTF-8 path, so
``?`` stands for one byte, not one character.

The matcher turns each pattern into a regular expression that implements
the rules of git's gitignore documentation and the behaviour of git 2.39
where the documentation is silent; it does not use pathspec. pathspec
1.1.1 disagrees with git on the order in which rules apply (``*``,
``!*/``, ``!*.py``), on escapes and ``**`` next to other characters, on
character classes, on bytes against characters and on how a file is split
into lines; working around each of these would mean replacing its parser
anyway. ``tests/property/test_git_oracle.py`` holds this module equal to
git itself, run on generated trees and ignore files.

In a git work tree, [`git_listing`][git_listing] asks git for the files instead of
guessing: only git knows the index, ``core.excludesFile`` and
``core.ignoreCase``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping, Sequence

__all__ = [
    "GitFailure",
    "GitListing",
    "GitPattern",
    "IgnoreFile",
    "PatternError",
    "PatternList",
    "Repository",
    "Rules",
    "compile_patterns",
    "describe_kind",
    "find_repository",
    "git_ignore_reasons",
    "git_listing",
    "global_excludes_path",
    "is_repository",
    "parse_ignore_lines",
    "read_ignore_file",
]

_BACKSLASH, _SLASH, _STAR, _QUESTION = 0x5C, 0x2F, 0x2A, 0x3F
_OPEN, _CLOSE, _COLON, _DASH, _BANG, _CARET = 0x5B, 0x5D, 0x3A, 0x2D, 0x21, 0x5E
_GLOB_SPECIAL = frozenset(b"*?[\\")
_BOM = b"\xef\xbb\xbf"

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _span(first: int, last: int) -> frozenset[int]:
    return frozenset(range(first, last + 1))


_UPPER, _LOWER, _DIGIT = _span(0x41, 0x5A), _span(0x61, 0x7A), _span(0x30, 0x39)
# git's own ctype (ctype.c), not the C library's: ASCII only, whatever the
# locale, and its "space" leaves out \v and \f.
_CLASSES: dict[bytes, frozenset[int]] = {
    b"alnum": _UPPER | _LOWER | _DIGIT,
    b"alpha": _UPPER | _LOWER,
    b"blank": frozenset(b" \t"),
    b"cntrl": _span(0, 0x1F) | {0x7F},
    b"digit": _DIGIT,
    b"graph": _span(0x21, 0x7E),
    b"lower": _LOWER,
    b"print": _span(0x20, 0x7E),
    b"punct": _span(0x21, 0x2F) | _span(0x3A, 0x40) | _span(0x5B, 0x60) | _span(0x7B, 0x7E),
    b"space": frozenset(b" \t\n\r"),
    b"upper": _UPPER,
    b"xdigit": _DIGIT | _span(0x41, 0x46) | _span(0x61, 0x66),
}
# A path byte is never NUL, and a bracket never matches '/'.
_PATH_BYTES = _span(1, 0xFF) - {_SLASH}


# -- patterns --------------------------------------------------------------


class _Never(Exception):
    """A pattern that can match no path; the message says why."""


def _bracket(p: bytes, i: int, notes: list[str]) -> tuple[frozenset[int], int]:
    """The bytes that the bracket expression opened just before ``p[i]`` matches, and the index past it.

    It collects every byte that git accepts for the bracket (``!`` or ``^``
    negates, ``]`` first is literal, ``\\`` escapes, ranges and ``[:class:]``),
    as the oracle tests check against git itself. A reversed range, which
    git accepts and which adds nothing, is noted in ``notes``.
    """

    def at(k: int) -> int:
        return p[k] if k < len(p) else 0

    ch = at(i)
    if ch == _CARET:
        ch = _BANG
    negated = ch == _BANG
    if negated:
        i += 1
        ch = at(i)
    members: set[int] = set()
    prev = 0
    while True:
        if not ch:
            raise _Never("a '[' without its ']'")
        if ch == _BACKSLASH:
            i += 1
            ch = at(i)
            if not ch:
                raise _Never("a '[' without its ']'")
            members.add(ch)
        elif ch == _DASH and prev and at(i + 1) and at(i + 1) != _CLOSE:
            i += 1
            ch = at(i)
            if ch == _BACKSLASH:
                i += 1
                ch = at(i)
                if not ch:
                    raise _Never("a '[' without its ']'")
            if prev > ch:
                notes.append(f"the range {chr(prev)!r}-{chr(ch)!r} is reversed, so it adds nothing")
            members.update(range(prev, ch + 1))
            ch = 0  # a range cannot start where another ends
        elif ch == _OPEN and at(i + 1) == _COLON:
            start = end = i + 2
            while at(end) and at(end) != _CLOSE:
                end += 1
            if not at(end):
                raise _Never("a '[' without its ']'")
            if end - start - 1 < 0 or p[end - 1] != _COLON:
                members.add(_OPEN)  # no ':]': the '[' is an ordinary member
                ch = _OPEN
            else:
                name = p[start : end - 1]
                if name not in _CLASSES:
                    raise _Never(f"there is no character class [:{name.decode('utf-8', 'replace')}:]")
                members.update(_CLASSES[name])
                i, ch = end, 0
        else:
            members.add(ch)
        prev = ch
        i += 1
        ch = at(i)
        if ch == _CLOSE:
            break
    matched = _PATH_BYTES - members if negated else _PATH_BYTES & members
    return frozenset(matched), i + 1


def _byte_class(members: frozenset[int]) -> bytes:
    if not members:
        return b"(?!)"
    parts: list[bytes] = []
    ordered = sorted(members)
    first = last = ordered[0]
    for byte in [*ordered[1:], -1]:
        if byte == last + 1:
            last = byte
            continue
        parts.append(b"\\x%02x" % first if first == last else b"\\x%02x-\\x%02x" % (first, last))
        first = last = byte
    return b"[" + b"".join(parts) + b"]"


def _wildmatch(p: bytes, notes: list[str]) -> tuple[bytes, str | None]:
    """A regular expression that matches what ``wildmatch(p, text, WM_PATHNAME)`` does.

    Returns the expression, and why it matches nothing if it does not.
    Without WM_PATHNAME (a pattern with no '/', tried on a base name) the
    same expression serves: the only difference is whether '*' and '?'
    match '/', and a base name has none.
    """
    out: list[bytes] = []
    empty: str | None = None
    i = 0
    while i < len(p):
        ch = p[i]
        if ch == _BACKSLASH:
            if i + 1 == len(p):
                raise _Never("it ends in a lone backslash")
            out.append(re.escape(p[i + 1 : i + 2]))
            i += 2
        elif ch == _QUESTION:
            out.append(b"[^/]")
            i += 1
        elif ch == _STAR:
            end = i
            while end < len(p) and p[end] == _STAR:
                end += 1
            # '**' is special only as a whole path component, and the start of the
            # text given to wildmatch counts as a component's start (see _parse).
            whole = (i == 0 or p[i - 1] == _SLASH) and (
                end == len(p) or p[end] == _SLASH or p[end : end + 2] == b"\\/"
            )
            if end - i >= 2 and whole and end < len(p) and p[end] == _SLASH:
                out.append(b"(?:.*/)?")
                end += 1
            else:
                out.append(b".*" if end - i >= 2 and whole else b"[^/]*")
            i = end
        elif ch == _OPEN:
            members, i = _bracket(p, i + 1, notes)
            if not members and empty is None:
                empty = f"the bracket expression in {_show(p)} matches no character"
            out.append(_byte_class(members))
        else:
            out.append(re.escape(p[i : i + 1]))
            i += 1
    return b"".join(out), empty


def _show(pattern: bytes) -> str:
    return repr(pattern.decode("utf-8", "surrogateescape"))


def _simple_length(p: bytes) -> int:
    """How many bytes of ``p`` come before its first glob character."""
    for index, byte in enumerate(p):
        if byte in _GLOB_SPECIAL:
            return index
    return len(p)


@dataclasses.dataclass(frozen=True)
class GitPattern:
    """One line of an ignore file, parsed as git's ``parse_path_pattern()`` does."""

    text: str  # the line as git keeps it (trailing spaces trimmed), for messages
    source: str  # where it came from: a file's path, or "exclude" / "include"
    lineno: int
    base: bytes  # the directory of its ignore file, relative to the matching root: b"" or b"a/b/"
    negative: bool
    directory_only: bool
    basename_only: bool  # no '/' in the pattern: it is tried on the last component alone
    regex: re.Pattern[bytes]
    problem: str | None  # why it matches nothing, or part of it does nothing (likely a mistake), or None

    def matches(self, path: bytes, is_dir: bool) -> bool:
        """Whether the pattern matches ``path`` (relative to the matching root, no trailing '/')."""
        if self.directory_only and not is_dir:
            return False
        base = self.base
        # git loads a .gitignore only for the paths below its directory, so its base always applies.
        if base and (not path.startswith(base) or len(path) == len(base)):
            return False
        start = path.rfind(b"/") + 1 if self.basename_only else len(base)
        return self.regex.fullmatch(path, start) is not None

    @property
    def reason(self) -> str:
        """The pattern and where it is written, as ``git check-ignore -v`` shows them."""
        return f"{self.source}:{self.lineno}:{self.text}"


def _parse(line: bytes, *, source: str, lineno: int, base: bytes) -> GitPattern:
    """``parse_path_pattern()`` and ``match_basename()``/``match_pathname()`` folded into one regex."""
    text = line.decode("utf-8", "replace")
    negative = line.startswith(b"!")
    p = line[1:] if negative else line
    directory_only = p.endswith(b"/")
    if directory_only:
        p = p[:-1]
    basename_only = b"/" not in p
    prefix = _simple_length(p)
    never: str | None = None
    notes: list[str] = []
    if not basename_only and p.startswith(b"/"):
        p, prefix = p[1:], prefix - 1
    try:
        if not p:
            raise _Never("it is empty, so it matches nothing")  # git keeps such a line; it matches nothing
        if basename_only:
            # match_basename() hands the whole pattern to wildmatch().
            body, never = _wildmatch(p, notes)
        else:
            # match_pathname() compares the part before the first glob character
            # as plain bytes and gives only the rest to wildmatch(), for which it
            # starts a component: 'a**/b' matches 'ab' and 'ax/y/b'.
            rest, never = _wildmatch(p[prefix:], notes)
            body = re.escape(p[:prefix]) + rest
    except _Never as problem:
        body, never = b"(?!)", str(problem)
    return GitPattern(
        text=text,
        source=source,
        lineno=lineno,
        base=base,
        negative=negative,
        directory_only=directory_only,
        basename_only=basename_only,
        regex=re.compile(body, re.DOTALL),
        problem=never or (notes[0] if notes else None),
    )


def _trim_trailing_spaces(line: bytes) -> bytes:
    """Drop trailing spaces that no backslash escapes; only ' ', not a tab (git's trim_trailing_spaces)."""
    last_space: int | None = None
    i = 0
    while i < len(line):
        byte = line[i]
        if byte == 0x20:
            if last_space is None:
                last_space = i
        elif byte == _BACKSLASH:
            i += 1
            if i == len(line):
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def parse_ignore_lines(data: bytes, *, source: str, base: bytes = b"") -> tuple[GitPattern, ...]:
    """The patterns of an ignore file's bytes, as git's ``add_patterns_from_buffer()`` reads them.

    Lines end at LF only; a CR before the LF is dropped, a UTF-8 BOM at the
    start is skipped, a line that is empty or starts with '#' is no pattern,
    and git's C strings end a line at its first NUL byte.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    patterns: list[GitPattern] = []
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        if not line or line.startswith(b"#"):
            continue
        if line.endswith(b"\r"):
            line = line[:-1]
        line = _trim_trailing_spaces(line.partition(b"\0")[0])
        patterns.append(_parse(line, source=source, lineno=lineno, base=base))
    return tuple(patterns)


@dataclasses.dataclass(frozen=True)
class IgnoreFile:
    """The patterns of one ignore file, and why it was not read, if it was not."""

    source: str
    patterns: tuple[GitPattern, ...]
    problem: str | None = None


def describe_kind(mode: int) -> str:
    """What a file of this mode is, for a message: "a FIFO (named pipe)", "a socket", ..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def read_ignore_file(path: str, *, source: str, base: bytes = b"", follow: bool = False) -> IgnoreFile:
    """Read an ignore file without ever blocking; a missing one has no patterns.

    git opens a ``.gitignore`` in the work tree without following a symbolic
    link (``follow=False``), and skips it with a warning when it is one; it
    follows links for ``info/exclude`` and ``core.excludesFile``. Anything
    but a regular file is skipped too: git itself would block for ever in
    ``open()`` on a FIFO.
    """
    flags = os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | getattr(os, "O_BINARY", 0)
    try:
        if not follow and not _O_NOFOLLOW and os.path.islink(path):
            raise OSError(errno.ELOOP, "is a symbolic link")
        handle = os.open(path, flags if follow else flags | _O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        return IgnoreFile(source, ())
    except OSError as error:
        if error.errno == errno.ELOOP or (not follow and os.path.islink(path)):
            return IgnoreFile(source, (), "it is a symbolic link, which git does not follow")
        return IgnoreFile(source, (), f"it cannot be read: {error.strerror}")
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return IgnoreFile(source, (), f"it is {describe_kind(mode)}, not a file")
        with os.fdopen(os.dup(handle), "rb") as file:
            data = file.read()
    finally:
        os.close(handle)
    return IgnoreFile(source, parse_ignore_lines(data, source=source, base=base))


# -- rules -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rules:
    """The ignore files in force for one directory, in the order git consults them.

    ``directories`` holds the ``.gitignore`` patterns from the top down;
    ``files`` holds ``info/exclude`` and then ``core.excludesFile``.
    """

    directories: tuple[tuple[GitPattern, ...], ...] = ()
    files: tuple[tuple[GitPattern, ...], ...] = ()

    def push(self, patterns: tuple[GitPattern, ...]) -> Rules:
        """These rules with the ``.gitignore`` of a deeper directory added."""
        return dataclasses.replace(self, directories=(*self.directories, patterns)) if patterns else self

    def last_match(self, path: bytes, is_dir: bool) -> GitPattern | None:
        """The pattern that decides ``path``, as git's ``last_matching_pattern_from_lists()`` finds it.

        The deepest ``.gitignore`` comes first, and in each file the last
        pattern that matches decides; then ``info/exclude``, then the global
        excludes file.
        """
        for patterns in (*reversed(self.directories), *self.files):
            for pattern in reversed(patterns):
                if pattern.matches(path, is_dir):
                    return pattern
        return None

    def excluded(self, path: bytes, is_dir: bool) -> GitPattern | None:
        """The pattern that ignores ``path``, or None if it is not ignored (ancestors are the caller's job)."""
        pattern = self.last_match(path, is_dir)
        return None if pattern is None or pattern.negative else pattern


def global_excludes_path(environ: Mapping[str, str] = os.environ) -> str | None:
    """Where git looks for the global excludes file when ``core.excludesFile`` is not set."""
    config_home = environ.get("XDG_CONFIG_HOME")
    if config_home:
        return os.path.join(config_home, "git", "ignore")
    home = environ.get("HOME")
    return os.path.join(home, ".config", "git", "ignore") if home else None


@dataclasses.dataclass(frozen=True)
class Repository:
    """A git work tree found by looking for ``.git`` (no git needed)."""

    top: str  # the top of the work tree
    common_dir: str | None  # the directory that holds info/exclude, when it could be found


def _gitfile_target(path: str) -> str | None:
    """The directory that a ``.git`` file (``gitdir: ...``) points to."""
    try:
        with open(path, "rb") as file:
            first = file.read(4096).split(b"\n")[0].rstrip(b"\r")
    except OSError:
        return None
    if not first.startswith(b"gitdir: "):
        return None
    target = os.fsdecode(first[len(b"gitdir: ") :])
    return os.path.normpath(os.path.join(os.path.dirname(path), target))


def _common_dir(git_dir: str) -> str:
    """The common directory of a linked work tree's git directory (or the directory itself)."""
    try:
        with open(os.path.join(git_dir, "commondir"), "rb") as file:
            common = os.fsdecode(file.read().strip())
    except OSError:
        return git_dir
    return os.path.normpath(os.path.join(git_dir, common))


def _git_dir(directory: str) -> str | None:
    dot_git = os.path.join(directory, ".git")
    if os.path.isdir(dot_git) and not os.path.islink(dot_git):
        return dot_git
    if os.path.isfile(dot_git):
        return _gitfile_target(dot_git)
    return None


def is_repository(directory: str) -> bool:
    """Whether ``directory`` holds a git repository of its own (git's ``is_nonbare_repository_dir``).

    A ``.git`` counts when it is, or points to, a directory with ``objects``,
    ``refs`` and ``HEAD``; git does not descend into such a directory nested
    in a work tree, and lists it as ``sub/``.
    """
    git_dir = _git_dir(directory)
    if git_dir is None:
        return False
    common = _common_dir(git_dir)
    return (
        os.path.isfile(os.path.join(git_dir, "HEAD"))
        and os.path.isdir(os.path.join(common, "objects"))
        and os.path.isdir(os.path.join(common, "refs"))
    )


def find_repository(directory: str) -> Repository | None:
    """The work tree around ``directory``: the nearest parent (or itself) that holds a ``.git``."""
    top = os.path.abspath(directory)
    while not os.path.lexists(os.path.join(top, ".git")):
        parent = os.path.dirname(top)
        if parent == top:
            return None
        top = parent
    git_dir = _git_dir(top)
    return Repository(top, None if git_dir is None else _common_dir(git_dir))


# -- the caller's own patterns ----------------------------------------------


@dataclasses.dataclass(frozen=True)
class PatternList:
    """``include`` or ``exclude`` patterns, matched like one ``.gitignore`` at the root."""

    patterns: tuple[GitPattern, ...]

    def decides(self, path: bytes, is_dir: bool) -> GitPattern | None:
        """The pattern that matches ``path`` itself and is not negated, or None."""
        for pattern in reversed(self.patterns):
            if pattern.matches(path, is_dir):
                return None if pattern.negative else pattern
        return None


class PatternError(ValueError):
    """An ``include`` or ``exclude`` pattern that can match nothing; the message names it."""


def compile_patterns(what: str, patterns: Sequence[str]) -> PatternList | None:
    """Compile the caller's patterns (``.gitignore`` syntax), or None for none.

    A pattern that can never match, or that has a part that does nothing,
    is a mistake, not a rule to keep, so it raises [`PatternError`][PatternError]
    naming it: ``!`` (git reads it as nothing), ``[z-a]`` (git reads it as
    ``z``), a ``[`` without ``]``, a trailing backslash, a comment or a
    blank line.
    """
    if isinstance(patterns, str):
        raise TypeError(f"{what} must be a sequence of patterns, not one str")
    compiled: list[GitPattern] = []
    for index, pattern in enumerate(patterns, start=1):
        if not isinstance(pattern, str):
            raise TypeError(f"each {what} pattern must be a str, not {type(pattern).__name__}")
        compiled.append(_user_pattern(what, pattern, index))
    return PatternList(tuple(compiled)) if compiled else None


def _user_pattern(what: str, pattern: str, index: int) -> GitPattern:
    def refuse(problem: str) -> PatternError:
        return PatternError(f"invalid {what} pattern {pattern!r}: {problem}")

    raw = os.fsencode(pattern)
    if b"\n" in raw or b"\r" in raw or b"\0" in raw:
        raise refuse("a pattern is one line, without CR, LF or NUL")
    if raw.startswith(b"#"):
        raise refuse("in .gitignore syntax a leading '#' starts a comment (write '\\#' for the character)")
    line = _trim_trailing_spaces(raw)
    if not line:
        raise refuse("it is empty")
    parsed = _parse(line, source=what, lineno=index, base=b"")
    if parsed.problem is not None:
        raise refuse(parsed.problem)
    return parsed


# -- asking git --------------------------------------------------------------


class GitFailure(Exception):
    """git is there and this is a work tree, but git failed; the message says how."""


@dataclasses.dataclass(frozen=True)
class GitListing:
    """What ``git ls-files --cached --others --exclude-standard`` lists below a directory."""

    files: frozenset[str]  # paths relative to the directory, with '/'
    directories: frozenset[str]  # every directory that holds a listed entry, "" for the root
    nested: frozenset[str]  # nested repositories, which git lists as 'sub/' and does not enter

    @classmethod
    def parse(cls, output: bytes) -> GitListing:
        """Read the NUL-separated output of ``git ls-files -z``."""
        files: set[str] = set()
        nested: set[str] = set()
        directories = {""}
        for raw in output.split(b"\0"):
            if not raw:
                continue
            name = os.fsdecode(raw.rstrip(b"/"))
            (nested if raw.endswith(b"/") else files).add(name)
            slash = name.rfind("/")
            while slash > 0 and name[:slash] not in directories:
                directories.add(name[:slash])
                slash = name.rfind("/", 0, slash)
        return cls(frozenset(files), frozenset(directories), frozenset(nested))


# Variables that would point git at another repository than the one around the directory.
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE")
_PATIENCE = 0.5  # seconds git may take before we look for a FIFO that it might be stuck on


def _git_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES}
    # English messages to classify failures; no lock files, no prompts.
    env.update(LC_ALL="C", LANGUAGE="C", GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    return env


def _run_git(
    root: str, args: Sequence[str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``root``; no hooks or fsmonitor daemon, and no network (ls-files and check-ignore stay local)."""
    command = ["git", "-c", "core.fsmonitor=false", "-C", root, *args]
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_git_environment(),
    ) as process:
        out, err = _communicate(process, root, stdin)
        return subprocess.CompletedProcess(command, process.returncode, out, err)


def _communicate(process: subprocess.Popen[bytes], root: str, stdin: bytes | None) -> tuple[bytes, bytes]:
    """Wait for git; if it takes long, open for writing each FIFO it may be stuck reading.

    git 2.39 opens a ``.gitignore`` that is a FIFO and waits in ``open()``
    for a writer for ever. Opening the FIFO for writing, and closing it at
    once, lets git see an empty file and go on.
    """
    try:
        return process.communicate(stdin, timeout=_PATIENCE)
    except subprocess.TimeoutExpired:
        pass
    fifos = tuple(_fifo_ignore_files(root))
    if not fifos:
        return process.communicate()
    while True:
        for fifo in fifos:
            with contextlib.suppress(OSError):  # ENXIO: nobody is reading it now
                os.close(os.open(fifo, os.O_WRONLY | _O_NONBLOCK | _O_CLOEXEC))
        try:
            return process.communicate(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue


def _fifo_ignore_files(root: str) -> Iterator[str]:
    """Every FIFO that git could open as an ignore file when run in ``root``."""
    candidates: list[str] = []
    top = os.path.abspath(root)
    while True:
        candidates.append(os.path.join(top, ".gitignore"))
        candidates.append(os.path.join(top, ".git", "info", "exclude"))
        parent = os.path.dirname(top)
        if parent == top:
            break
        top = parent
    excludes = global_excludes_path()
    if excludes is not None:
        candidates.append(excludes)
    stack = [root]
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as scan:
            for entry in scan:
                if entry.name == ".gitignore":
                    candidates.append(entry.path)
                elif entry.name != ".git" and entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    for path in candidates:
        with contextlib.suppress(OSError):
            if stat.S_ISFIFO(os.lstat(path).st_mode):
                yield path


def _not_a_work_tree(stderr: bytes) -> bool:
    return b"not a git repository" in stderr or b"must be run in a work tree" in stderr


def _failure(what: str, result: subprocess.CompletedProcess[bytes]) -> GitFailure:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1] if lines else f"exit status {result.returncode}"
    return GitFailure(f"git {what} failed: {detail}")


def git_listing(root: str) -> GitListing | None:
    """The files git would list in ``root``, or None when git is not installed or root is in no work tree.

    Raises:
        GitFailure: If git failed for another reason (a repository that git
            refuses as unsafe, a broken index).
    """
    if shutil.which("git") is None:
        return None
    try:
        result = _run_git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    except OSError as error:  # git vanished, or cannot be started
        raise GitFailure(f"git could not be run: {error.strerror}") from None
    if result.returncode != 0:
        if _not_a_work_tree(result.stderr):
            return None
        raise _failure("ls-files", result)
    return GitListing.parse(result.stdout)


def git_ignore_reasons(root: str) -> dict[str, str]:
    """For each path that git ignores in ``root`` (a directory once, with '/'), the pattern that does it.

    The reason reads as ``git check-ignore -v`` gives it: ``source:line:pattern``.

    Raises:
        GitFailure: If git fails.
    """
    listed = _run_git(root, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"])
    if listed.returncode != 0:
        raise _failure("ls-files", listed)
    paths = [raw for raw in listed.stdout.split(b"\0") if raw]
    if not paths:
        return {}
    asked = b"\0".join(raw.rstrip(b"/") for raw in paths) + b"\0"
    checked = _run_git(root, ["check-ignore", "-z", "-v", "--stdin"], stdin=asked)
    if checked.returncode not in (0, 1):  # 1: nothing is ignored
        raise _failure("check-ignore", checked)
    fields = checked.stdout.split(b"\0")
    found: dict[str, str] = {}
    for i in range(0, len(fields) - 3, 4):
        source, line, pattern, path = (os.fsdecode(field) for field in fields[i : i + 4])
        found[path] = f"{source}:{line}:{pattern}"
    reasons: dict[str, str] = {}
    for raw in paths:
        name = os.fsdecode(raw)
        reasons[name] = found.get(name.rstrip("/"), "ignored by git")
    return reasons
