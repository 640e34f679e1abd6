"""The prompt profile: which files waste a language model's tokens, and why."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

import attrs

from ._model import _is_text

__all__ = ["LOCK_FILES", "PromptProfile"]

LOCK_FILES = frozenset(
    {
        "Cargo.lock",
        "Gemfile.lock",
        "Pipfile.lock",
        "bun.lockb",
        "composer.lock",
        "flake.lock",
        "go.sum",
        "mix.lock",
        "npm-shrinkwrap.json",
        "package-lock.json",
        "packages.lock.json",
        "pdm.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pubspec.lock",
        "uv.lock",
        "yarn.lock",
    }
)

_MINIFIED = ("*.min.js", "*.min.css", "*.min.mjs", "*.map", "*.js.map", "*.css.map")
_GENERATED_MARKERS = ("@generated", "DO NOT EDIT")


def _name_set(names: Iterable[str]) -> frozenset[str]:
    return frozenset(_texts(names))


def _texts(texts: Iterable[str]) -> tuple[str, ...]:
    if isinstance(texts, str):  # one string is not a list of one
        raise TypeError(f"expected a list of strings, not the string {texts!r}")
    return tuple(texts)


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, not {value!r}")


@attrs.frozen
class PromptProfile:
    """Which files [`pack`][seedbundle.pack] leaves out of a bundle meant for a language model.

    It applies on top of ``.gitignore`` and the exclude patterns, to each
    selected file, and the first rule that matches gives the reason:

    1. ``lock file``: the file's base name is one of ``lock_files``
       (``poetry.lock``, ``package-lock.json``, ``uv.lock``, ``Cargo.lock``, ...).
    2. ``larger than N bytes``: the file holds more than ``max_size`` bytes.
    3. ``binary``: the file is not text, that is it is not valid UTF-8 or
       holds a NUL byte (the rule of [`Entry.is_text`][seedbundle.Entry.is_text]).
    4. ``minified or generated (name)``: the base name matches one of
       ``minified`` (``*.min.js``, ``*.min.css``, ``*.map``, ...).
    5. ``generated (marker)``: one of ``generated_markers`` (``@generated``,
       ``DO NOT EDIT``, matched exactly, case and all) appears in the first
       ``marker_lines`` lines.
    6. ``minified (long lines)``: the file is at least ``long_lines_from``
       bytes long and its lines average more than ``max_line_length``
       bytes.

    A file that an include pattern matches by its own path (not only
    through a directory above it) is kept whatever the profile says.

    Attributes:
        lock_files: Base names of lock files.
        max_size: The largest file kept, in bytes (default 1 MB).
        minified: Base-name patterns (``fnmatch``, case-sensitive) of
            minified and generated files.
        generated_markers: Text that marks a generated file near its top.
        marker_lines: How many lines from the top are searched for a marker.
        max_line_length: The longest average line length kept, in bytes.
        long_lines_from: The size from which the average line length counts.

    Examples:
        >>> import seedbundle
        >>> profile = seedbundle.PromptProfile()
        >>> profile.reason("web/app.min.js", b"var a=1;")
        'minified or generated (name)'
        >>> profile.reason("poetry.lock", b"") , profile.reason("a.py", b"x = 1\\n")
        ('lock file', None)

    Added in version 1.1.0.
    """

    lock_files: frozenset[str] = attrs.field(default=LOCK_FILES, converter=_name_set)
    max_size: int = attrs.field(default=1_000_000, validator=_positive)
    minified: tuple[str, ...] = attrs.field(default=_MINIFIED, converter=_texts)
    generated_markers: tuple[str, ...] = attrs.field(default=_GENERATED_MARKERS, converter=_texts)
    marker_lines: int = attrs.field(default=5, validator=_positive)
    max_line_length: int = attrs.field(default=500, validator=_positive)
    long_lines_from: int = attrs.field(default=2000, validator=_positive)

    def reason_by_name(self, name: str, size: int) -> str | None:
        """Why the file is left out, from its name and size alone, or None.

        Args:
            name: The entry name, with ``/``.
            size: The file's size in bytes.

        Returns:
            The reason, or None if the content must decide.

        Examples:
            >>> import seedbundle
            >>> seedbundle.PromptProfile(max_size=10).reason_by_name("a.txt", 11)
            'larger than 10 bytes'

        Added in version 1.1.0.
        """
        base = name.rpartition("/")[2]
        if base in self.lock_files:
            return "lock file"
        if size > self.max_size:
            return f"larger than {self.max_size} bytes"
        return None

    def reason(self, name: str, data: bytes) -> str | None:
        """Why the file is left out, or None to keep it.

        Args:
            name: The entry name, with ``/``.
            data: The file's bytes.

        Returns:
            The reason, one of the forms listed above, or None.

        Examples:
            >>> import seedbundle
            >>> seedbundle.PromptProfile().reason("logo.png", b"\\x89PNG\\x00")
            'binary'

        Added in version 1.1.0.
        """
        early = self.reason_by_name(name, len(data))
        if early is not None:
            return early
        if not _is_text(data):
            return "binary"
        base = name.rpartition("/")[2]
        if any(fnmatch.fnmatchcase(base, pattern) for pattern in self.minified):
            return "minified or generated (name)"
        top = b"\n".join(data.split(b"\n", self.marker_lines)[: self.marker_lines])
        if any(marker.encode("utf-8") in top for marker in self.generated_markers):
            return "generated (marker)"
        if len(data) >= self.long_lines_from:
            lines = data.count(b"\n") + (not data.endswith(b"\n"))
            if len(data) / lines > self.max_line_length:
                return "minified (long lines)"
        return None


# As for Ignored (see _select): the API reference names the public package.
PromptProfile.__module__ = "seedbundle"
for _method in vars(PromptProfile).values():
    if callable(_method) and hasattr(_method, "__module__"):
        _method.__module__ = "seedbundle"  # else documentation tools see a loop of aliases
