"""What extract returns: the files it found, and what it is sure of and what it is not."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Literal

import attrs

from ._extract_codes import Diagnostic
from ._model import Bundle

__all__ = ["DIALECTS", "STATUSES", "Dialect", "ExtractedFile", "Extraction", "Status"]

Status = Literal["complete", "truncated", "suspect"]
STATUSES: tuple[Status, ...] = ("complete", "truncated", "suspect")
Dialect = Literal["seedbundle", "markdown", "xml", "paws"]
DIALECTS: tuple[Dialect, ...] = ("seedbundle", "markdown", "xml", "paws")


def _validate_span(_instance: object, _attribute: object, span: tuple[int, int]) -> None:
    if not (
        isinstance(span, tuple)
        and len(span) == 2
        and all(isinstance(line, int) and not isinstance(line, bool) for line in span)
        and 1 <= span[0] <= span[1]
    ):
        raise ValueError(f"span must be (first_line, last_line) with 1 <= first <= last, not {span!r}")


@attrs.frozen
class ExtractedFile:
    """One file that [`seedbundle.extract`][seedbundle.extract] found in an answer.

    Attributes:
        name: The file name, cleaned of the decoration a model put around it.
        data: The content, exactly as the answer holds it (after the repairs
            that the diagnostics report).
        executable: Whether the header marked the file ``exec``.
        status: ``"complete"``; ``"truncated"`` when the answer stops inside
            the file; ``"suspect"`` when it holds a lazy placeholder, an edit
            block or a diff, shrank against ``base=``, or has an odd name.
        span: The first and the last line of the answer that the file came
            from, 1-based and inclusive.
        dialect: How it was written: ``"seedbundle"`` (``<<<FILE>>>``
            headers), ``"markdown"`` (a name and a code block), ``"xml"``
            (``<file path=...>`` tags) or ``"paws"`` (DOGS markers).

    Examples:
        >>> import seedbundle
        >>> result = seedbundle.extract("app.py\\n```python\\nprint(1)\\n```\\n")
        >>> file = result.files[0]
        >>> file.name, file.data, file.status, file.span, file.dialect
        ('app.py', b'print(1)\\n', 'complete', (1, 4), 'markdown')

    Added in version 1.1.0.
    """

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    data: bytes = attrs.field(validator=attrs.validators.instance_of(bytes))
    status: Literal["complete", "truncated", "suspect"] = attrs.field(
        kw_only=True, validator=attrs.validators.in_(STATUSES)
    )
    span: tuple[int, int] = attrs.field(kw_only=True, validator=_validate_span)
    dialect: Literal["seedbundle", "markdown", "xml", "paws"] = attrs.field(
        kw_only=True, validator=attrs.validators.in_(DIALECTS)
    )
    executable: bool = attrs.field(default=False, kw_only=True, validator=attrs.validators.instance_of(bool))


def _to_files(files: Iterable[ExtractedFile]) -> tuple[ExtractedFile, ...]:
    return tuple(files)


def _to_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(diagnostics)


def _to_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


def _validate_files(instance: Extraction, _attribute: object, files: tuple[ExtractedFile, ...]) -> None:
    if tuple(file.name for file in files) != instance.bundle.names:
        raise ValueError("the files must be the bundle's entries, in order")
    for file, entry in zip(files, instance.bundle.entries, strict=True):
        if file.data != entry.data or file.executable != entry.executable:
            raise ValueError(f"the file {file.name!r} does not hold the bundle entry's data")


@attrs.frozen
class Extraction:
    """What [`seedbundle.extract`][seedbundle.extract] found in an answer.

    Attributes:
        bundle: The files as a [`Bundle`][Bundle], ready for [`unpack`][unpack]
            once you have read the diagnostics. Its comment is the bundle's
            comment when the answer holds a strictly valid bundle, and empty
            otherwise.
        files: The same files with what extract knows about each: status,
            span and dialect.
        diagnostics: Every repair and every flag, in the order of the
            answer's lines.
        deletions: The names of the files that the answer deletes with a
            ``<<<DELETE name>>>`` line. Nothing else deletes a file: empty
            content means an empty file.

    Examples:
        >>> import seedbundle
        >>> result = seedbundle.extract("<<<FILE a.py>>>\\nprint(1)\\n<<<DELETE old.py>>>\\n<<<END 1>>>\\n")
        >>> result.bundle.names, result.deletions, result.ok
        (('a.py',), ('old.py',), True)

    Added in version 1.1.0.
    """

    bundle: Bundle = attrs.field(validator=attrs.validators.instance_of(Bundle))
    files: tuple[ExtractedFile, ...] = attrs.field(converter=_to_files, validator=_validate_files)
    diagnostics: tuple[Diagnostic, ...] = attrs.field(converter=_to_diagnostics)
    deletions: tuple[str, ...] = attrs.field(default=(), converter=_to_names)

    @property
    def ok(self) -> bool:
        """Whether the answer can be applied as it is.

        That is: it holds at least one file or deletion, there is no error,
        and every file is complete. Warnings about repairs (a header variant,
        a fence, a dialect) do not count against it.

        Examples:
            >>> import seedbundle
            >>> seedbundle.extract("<<<FILE a.py>>>\\nprint(1)\\n<<<END 1>>>\\n").ok
            True
            >>> seedbundle.extract("<<<FILE a.py>>>\\nprint(1)\\n").ok  # no END: maybe cut
            False

        Added in version 1.1.0.
        """
        return (
            bool(self.files or self.deletions)
            and all(diagnostic.severity != "error" for diagnostic in self.diagnostics)
            and all(file.status == "complete" for file in self.files)
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data for ``json.dumps``: files without their data, deletions, diagnostics.

        Each file has its name, status, span, dialect, executable bit, size
        in bytes and SHA-256.

        Examples:
            >>> import json, seedbundle
            >>> report = seedbundle.extract("<<<FILE a.py>>>\\nprint(1)\\n").as_dict()
            >>> report["ok"], report["files"][0]["status"], report["diagnostics"][0]["code"]
            (False, 'truncated', 'SB301')
            >>> print(json.dumps(report["files"][0]["span"]))
            [1, 2]

        Added in version 1.1.0.
        """
        return {
            "ok": self.ok,
            "files": [
                {
                    "name": file.name,
                    "status": file.status,
                    "span": list(file.span),
                    "dialect": file.dialect,
                    "executable": file.executable,
                    "size": len(file.data),
                    "sha256": hashlib.sha256(file.data).hexdigest(),
                }
                for file in self.files
            ],
            "deletions": list(self.deletions),
            "diagnostics": [attrs.asdict(diagnostic) for diagnostic in self.diagnostics],
        }
