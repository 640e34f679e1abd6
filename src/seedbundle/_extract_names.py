"""Which names a model gave its files, and which of them are unsafe or odd.

Unsafe names are refused by the same rules as unpack
(``seedbundle._names.name_problem``); odd ones are cleaned or flagged, each
with its code.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ._names import _fold, name_problem

__all__ = ["LANGUAGE_TAGS", "NO_NAMES", "Finding", "KnownNames", "NameReview", "review_name"]

# Fence languages that models put where a file name belongs (aider #2879).
# Dockerfile and Makefile are real file names, so they are not here.
LANGUAGE_TAGS = frozenset(
    [
        "bash",
        "c",
        "cpp",
        "c++",
        "csharp",
        "cs",
        "css",
        "diff",
        "go",
        "golang",
        "html",
        "java",
        "javascript",
        "js",
        "json",
        "jsx",
        "kotlin",
        "kt",
        "lua",
        "markdown",
        "md",
        "php",
        "plaintext",
        "powershell",
        "ps1",
        "python",
        "py",
        "python3",
        "r",
        "ruby",
        "rb",
        "rust",
        "rs",
        "scss",
        "sh",
        "shell",
        "sql",
        "swift",
        "text",
        "toml",
        "ts",
        "tsx",
        "typescript",
        "txt",
        "xml",
        "yaml",
        "yml",
        "zsh",
        "console",
        "vue",
        "svelte",
    ]
)


@attrs.frozen
class Finding:
    """Something a check found: a code, a message, and the 0-based line of the file it is on."""

    code: str
    message: str
    line: int | None = None


@attrs.frozen
class KnownNames:
    """The names of files that already exist: from ``existing=`` and ``base=``."""

    names: frozenset[str] = frozenset()
    folded: dict[str, str] = attrs.field(factory=dict, eq=False, hash=False)

    @classmethod
    def of(cls, names: Iterable[str]) -> KnownNames:
        """The known names, indexed by their case-folded form."""
        unique = frozenset(names)
        return cls(unique, {_fold(name): name for name in sorted(unique)})


NO_NAMES = KnownNames()


@attrs.frozen
class NameReview:
    """The name a file gets (None if it is refused), and what was found on the way."""

    name: str | None
    findings: tuple[Finding, ...] = ()
    suspect: bool = False


def review_name(raw: str, known: KnownNames = NO_NAMES) -> NameReview:
    """Clean a file name and check it as unpack would: refuse the unsafe, flag the odd."""
    findings: list[Finding] = []
    name = _unwrapped(raw)
    suspect = False
    if name != raw:
        findings.append(Finding("SB506", f"took the {raw[0]!r} around {raw!r} off"))
    if name.startswith("./"):
        while name.startswith("./"):
            name = name[2:]
        findings.append(Finding("SB505", f"took the leading './' off {raw!r}"))
    if name[:2] in ("a/", "b/") and len(name) > 2:
        stripped = name[2:]
        if stripped in known.names and name not in known.names:
            findings.append(
                Finding("SB502", f"took the diff prefix {name[:2]!r} off {name!r}: {stripped!r} exists")
            )
            name = stripped
        else:
            findings.append(
                Finding(
                    "SB502",
                    f"the name {name!r} begins with {name[:2]!r}, like a path in a diff header;"
                    " kept it, and marked the file suspect",
                )
            )
            suspect = True
    problem = _unsafe(name)
    if problem is not None:
        findings.append(Finding("SB501", f"refused the file {raw!r}: {problem}"))
        return NameReview(None, tuple(findings), True)
    if name.lower() in LANGUAGE_TAGS:
        findings.append(
            Finding(
                "SB503",
                f"the name {name!r} is a language tag, not a path; kept it, and marked the file suspect",
            )
        )
        suspect = True
    other = known.folded.get(_fold(name))
    if other is not None and other != name:
        findings.append(
            Finding(
                "SB504",
                f"{name!r} differs from the existing {other!r} only in case or Unicode normalization;"
                " kept it, and marked the file suspect",
            )
        )
        suspect = True
    return NameReview(name, tuple(findings), suspect)


_WRAPPERS = ("**", "__", "`", "'", '"')


def _unwrapped(name: str) -> str:
    """The name without quotes, backticks or bold around it."""
    for wrapper in _WRAPPERS:
        if len(name) > 2 * len(wrapper) and name.startswith(wrapper) and name.endswith(wrapper):
            return name[len(wrapper) : -len(wrapper)]
    return name


def _unsafe(name: str) -> str | None:
    if not name:
        return "the name is empty"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name holds bytes that are not UTF-8"
    return name_problem(name)
