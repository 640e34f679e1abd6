"""Apply a model's answer to a directory: a plan first, then all of it or nothing, with an undo.

The plan looks at every file the answer writes or deletes with unpack's
first pass (its name checks, its walk that never follows a link), reads
what is on the disk, and compares it with the prompt (``base``). Applying
checks the tree again with the same pass and writes through unpack's
writer, which moves every file into place only when all are written and
puts everything back on any failure.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import attrs

from ._api import _as_bytes, dumps, loads
from ._dirs import Cursor
from ._errors import BundleDecodeError, UnpackError
from ._extract import extract
from ._extract_result import ExtractedFile, Extraction
from ._model import Bundle, Entry
from ._names import _fold as fold
from ._syntax import encode_name
from ._unpack import Existing, _Planner, _Writer

__all__ = ["ApplyPlan", "ApplyResult", "PlannedChange", "apply", "plan_apply", "read_change", "undo_text"]

# The entries, the (name, status) of each file that is not complete, the deletions.
_Source = tuple[Bundle, tuple[tuple[str, str], ...], tuple[str, ...]]
Action = Literal["create", "modify", "unchanged", "delete", "conflict", "refused"]
ACTIONS: tuple[Action, ...] = ("create", "modify", "unchanged", "delete", "conflict", "refused")
_DELETE_LINE = re.compile(rb"<<<DELETE (.+)>>>\n")


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@attrs.frozen
class PlannedChange:
    """What applying does to one file.

    Attributes:
        name: The file name, relative to the directory.
        action: ``"create"``, ``"modify"``, ``"unchanged"`` or ``"delete"``
            when it can be applied; ``"conflict"`` when the file changed on
            the disk since the prompt (``base=``), or the answer creates a
            file that exists but was not in the prompt; ``"refused"`` when
            the answer's file is truncated or suspect, or the name is unsafe
            (outside the directory, through a link, ``.git``, a case
            conflict).
        reason: Why, for a conflict, a refusal, a forced or skipped file,
            or a deletion of a file that is not there; otherwise None.
        old_sha256: The SHA-256 of the file on the disk, or None if none.
        new_sha256: The SHA-256 of the answer's content, or None for a deletion.
        old_executable: Whether the file on the disk is executable.
        new_executable: Whether the answer's file is executable.
        forced: A conflict or refusal that ``force=`` overrides.
        skipped: Named in ``skip=``: applying leaves it alone.
        old: The content on the disk, or None.
        new: The answer's content, or None for a deletion.

    Examples:
        >>> import tempfile, seedbundle
        >>> plan = seedbundle.plan_apply(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]), tempfile.mkdtemp())
        >>> change = plan.actions[0]
        >>> change.name, change.action, change.old_sha256 is None, change.new_sha256[:8]
        ('a.txt', 'create', True, '06f961b8')

    Added in version 1.1.0.
    """

    name: str
    action: Literal["create", "modify", "unchanged", "delete", "conflict", "refused"] = attrs.field(
        validator=attrs.validators.in_(ACTIONS)
    )
    reason: str | None = None
    old_sha256: str | None = None
    new_sha256: str | None = None
    old_executable: bool = False
    new_executable: bool = False
    forced: bool = False
    skipped: bool = False
    old: bytes | None = attrs.field(default=None, repr=False)
    new: bytes | None = attrs.field(default=None, repr=False)

    @property
    def blocks(self) -> bool:
        """Whether this change stops the apply: a conflict or refusal that is not skipped.

        Examples:
            >>> import seedbundle
            >>> seedbundle.PlannedChange("a.txt", "conflict").blocks
            True
            >>> seedbundle.PlannedChange("a.txt", "conflict", skipped=True).blocks
            False

        Added in version 1.1.0.
        """
        return self.action in ("conflict", "refused") and not self.skipped

    @property
    def writes(self) -> bool:
        """Whether applying changes the disk for this file: a create, modify or delete, not skipped.

        Examples:
            >>> import seedbundle
            >>> seedbundle.PlannedChange("a.txt", "delete").writes, seedbundle.PlannedChange("a.txt", "unchanged").writes
            (True, False)

        Added in version 1.1.0.
        """
        return self.action in ("create", "modify", "delete") and not self.skipped

    def as_dict(self) -> dict[str, Any]:
        """The change as plain data for ``json.dumps``, without the contents.

        Examples:
            >>> import seedbundle
            >>> seedbundle.PlannedChange("a.txt", "delete", old_sha256="ab").as_dict()["action"]
            'delete'

        Added in version 1.1.0.
        """
        return {
            "name": self.name,
            "action": self.action,
            "reason": self.reason,
            "old_sha256": self.old_sha256,
            "new_sha256": self.new_sha256,
            "old_size": None if self.old is None else len(self.old),
            "new_size": None if self.new is None else len(self.new),
            "old_executable": self.old_executable,
            "new_executable": self.new_executable,
            "forced": self.forced,
            "skipped": self.skipped,
        }


@attrs.frozen
class ApplyPlan:
    """What applying an answer to a directory does, file by file; nothing is written to make it.

    Attributes:
        directory: The directory, as given.
        actions: One [`PlannedChange`][seedbundle.PlannedChange] per file,
            in the answer's order, the deletions last.

    Examples:
        >>> import tempfile, seedbundle
        >>> plan = seedbundle.plan_apply(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]), tempfile.mkdtemp())
        >>> plan.ok, [change.action for change in plan.actions]
        (True, ['create'])

    Added in version 1.1.0.
    """

    directory: str
    actions: tuple[PlannedChange, ...]
    # What plan_apply was given, to plan again when applying; not for callers.
    _source: tuple[Bundle, tuple[tuple[str, str], ...], tuple[str, ...]] = attrs.field(
        repr=False, eq=False, alias="source"
    )
    _options: tuple[Bundle | None, frozenset[str], frozenset[str], bool] = attrs.field(
        repr=False, eq=False, alias="options"
    )

    @property
    def ok(self) -> bool:
        """Whether it can be applied: no conflict or refusal, unless forced or skipped.

        Examples:
            >>> import tempfile, seedbundle
            >>> evil = seedbundle.Bundle([seedbundle.Entry("../x", "x")])
            >>> seedbundle.plan_apply(evil, tempfile.mkdtemp()).ok
            False

        Added in version 1.1.0.
        """
        return not any(change.blocks for change in self.actions)

    def diff(self) -> str:
        """The plan as a unified diff; a binary file as a line with sizes and hashes.

        Conflicts and refusals show as ``# conflict NAME: reason`` lines, and
        a change of the executable bit as ``old mode`` and ``new mode`` lines.

        Examples:
            >>> import tempfile, seedbundle
            >>> plan = seedbundle.plan_apply(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]), tempfile.mkdtemp())
            >>> print(plan.diff(), end="")
            --- /dev/null
            +++ b/a.txt
            @@ -0,0 +1 @@
            +A

        Added in version 1.1.0.
        """
        return "".join(_diff_of(change) for change in self.actions)

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain data for ``json.dumps``.

        Examples:
            >>> import json, tempfile, seedbundle
            >>> plan = seedbundle.plan_apply(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]), tempfile.mkdtemp())
            >>> json.loads(json.dumps(plan.as_dict()))["actions"][0]["action"]
            'create'

        Added in version 1.1.0.
        """
        return {
            "directory": self.directory,
            "ok": self.ok,
            "actions": [change.as_dict() for change in self.actions],
        }


@attrs.frozen
class ApplyResult:
    """What [`apply`][seedbundle.apply] did.

    Attributes:
        plan: The plan that was applied, as checked at apply time.
        undo: The undo answer: applying it restores the directory.
        undo_path: Where the undo answer was written, or None.

    Examples:
        >>> import tempfile, seedbundle
        >>> target = tempfile.mkdtemp()
        >>> result = seedbundle.apply(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]), target)
        >>> print(result.undo, end="")
        Undo of a seedbundle apply: apply this answer to the same directory to restore it.
        <<<END 0>>>
        <<<DELETE a.txt>>>

    Added in version 1.1.0.
    """

    plan: ApplyPlan
    undo: str
    undo_path: str | None = None


# -- reading the change ------------------------------------------------------


def read_change(
    text: str | bytes, *, base: Bundle | None = None, finish_reason: str | None = None
) -> Extraction | Bundle:
    """What an answer file asks for: a bundle if it is one, else what extract finds.

    A strictly valid bundle, alone or followed by exact ``<<<DELETE name>>>``
    lines (what an undo answer is), is read exactly; anything else goes
    through [`extract`][seedbundle.extract].

    Args:
        text: The answer, as text or as (UTF-8) bytes.
        base: As for [`extract`][seedbundle.extract].
        finish_reason: As for [`extract`][seedbundle.extract].

    Returns:
        A [`Bundle`][seedbundle.Bundle] for a plain bundle; otherwise an
        [`Extraction`][seedbundle.Extraction].

    Raises:
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import seedbundle
        >>> seedbundle.read_change("<<<FILE a.txt>>>\\nA\\n<<<END 1>>>\\n")
        Bundle([Entry('a.txt', b'A\\n')])
        >>> seedbundle.read_change("<<<END 0>>>\\n<<<DELETE a.txt>>>\\n").deletions
        ('a.txt',)
        >>> seedbundle.read_change("Here:\\n`a.py`\\n```\\nx\\n```\\n").bundle.names
        ('a.py',)

    Added in version 1.1.0.
    """
    data = _as_bytes(text)
    exact = _read_exact(data)
    if exact is not None:
        return exact
    return extract(data, base=base, finish_reason=finish_reason)


def _read_exact(data: bytes) -> Extraction | Bundle | None:
    end = len(data)
    deletions: list[str] = []
    while True:
        start = data.rfind(b"\n", 0, end - 1) + 1
        match = _DELETE_LINE.fullmatch(data, start, end)
        if match is None:
            break
        token = match.group(1).decode("utf-8", "replace")
        try:
            name = json.loads(token) if token.startswith('"') else token
        except ValueError:
            return None
        if not isinstance(name, str) or encode_name(name) != token:
            return None
        deletions.append(name)
        end = start
    try:
        bundle = loads(data[:end])
    except BundleDecodeError:
        return None
    if not deletions:
        return bundle
    return _exact_extraction(bundle, tuple(reversed(deletions)))


def _exact_extraction(bundle: Bundle, deletions: tuple[str, ...]) -> Extraction:
    files = [
        ExtractedFile(
            entry.name,
            entry.data,
            status="complete",
            span=(1, 1),
            dialect="seedbundle",
            executable=entry.executable,
        )
        for entry in bundle.entries
    ]
    return Extraction(bundle, files, (), deletions)


# -- the plan ------------------------------------------------------------------


def _names(option: str, names: Iterable[str]) -> frozenset[str]:
    if isinstance(names, str | bytes):
        raise TypeError(f"{option} must be an iterable of names, not a string")
    found = frozenset(names)
    for name in found:
        if not isinstance(name, str):
            raise TypeError(f"{option} holds a {type(name).__name__}, not a str")
    return found


def _split_source(source: Extraction | Bundle) -> _Source:
    """The entries, the names of the files that are not complete (with why), and the deletions."""
    if isinstance(source, Bundle):
        return source, (), ()
    if isinstance(source, Extraction):
        doubtful = tuple((file.name, file.status) for file in source.files if file.status != "complete")
        return source.bundle, doubtful, source.deletions
    raise TypeError(f"the source must be an Extraction or a Bundle, not {type(source).__name__}")


def plan_apply(
    source: Extraction | Bundle,
    directory: str | os.PathLike[str],
    /,
    *,
    base: Bundle | None = None,
    force: Iterable[str] = (),
    skip: Iterable[str] = (),
    allow_case_conflicts: bool = False,
) -> ApplyPlan:
    """Plan applying an answer (or a bundle) to a directory, writing nothing.

    Each file gets one action: ``create``, ``modify``, ``unchanged``,
    ``delete``, ``conflict`` or ``refused``. The names are checked as
    [`unpack`][seedbundle.unpack] checks them, and nothing on the way may be
    a link; only a regular file is ever replaced or deleted. A file is
    deleted only by the answer's ``<<<DELETE name>>>`` lines.

    With ``base``, the bundle the model was shown: a file that differs on
    the disk from ``base`` is a conflict, and so is a file that the answer
    creates (or deletes) where one exists that ``base`` does not hold.

    Args:
        source: What [`extract`][seedbundle.extract] found in the answer, or
            a bundle (it writes its files and deletes nothing).
        directory: The directory to change.
        base: The prompt bundle, to detect changes made since.
        force: Names whose conflict, or whose truncated or suspect status,
            is overridden. An unsafe name cannot be forced.
        skip: Names that applying leaves alone, whatever their action.
        allow_case_conflicts: As for [`unpack`][seedbundle.unpack].

    Returns:
        The [`ApplyPlan`][seedbundle.ApplyPlan].

    Raises:
        ValueError: If ``force`` or ``skip`` names a file the answer does
            not hold.
        OSError: If the directory cannot be read.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> target = tempfile.mkdtemp()
        >>> with open(os.path.join(target, "old.py"), "w") as file:
        ...     _ = file.write("x = 1\\n")
        >>> answer = "<<<FILE new.py>>>\\nprint(1)\\n<<<DELETE old.py>>>\\n<<<END 1>>>\\n"
        >>> plan = seedbundle.plan_apply(seedbundle.extract(answer), target)
        >>> [(change.name, change.action) for change in plan.actions]
        [('new.py', 'create'), ('old.py', 'delete')]

    Added in version 1.1.0.
    """
    split = _split_source(source)
    if base is not None and not isinstance(base, Bundle):
        raise TypeError(f"base must be a Bundle or None, not {type(base).__name__}")
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, not {type(directory).__name__}")
    options = (base, _names("force", force), _names("skip", skip), bool(allow_case_conflicts))
    known = set(split[0].names) | set(split[2])
    for option, names in (("force", options[1]), ("skip", options[2])):
        unknown = sorted(names - known)
        if unknown:
            raise ValueError(f"{option} names {unknown[0]!r}, which the answer neither writes nor deletes")
    with Cursor(os.fspath(directory)) as cursor:
        actions, _versions, _planner = _plan_in(cursor, split, options)
    return ApplyPlan(os.fspath(directory), actions, source=split, options=options)


def _plan_in(
    cursor: Cursor,
    source: _Source,
    options: tuple[Bundle | None, frozenset[str], frozenset[str], bool],
) -> tuple[tuple[PlannedChange, ...], dict[str, tuple[int, ...] | None], _Planner]:
    bundle, doubtful, deletions = source
    base, force, skip, allow_case_conflicts = options
    planner = _Planner(cursor, allow_case_conflicts=allow_case_conflicts)
    status = dict(doubtful)
    changes: list[PlannedChange] = []
    versions: dict[str, tuple[int, ...] | None] = {}
    for entry in bundle.entries:
        existing = _look(planner, entry.name, allow_case_conflicts)
        versions[entry.name] = existing.version
        change = _plan_write(existing, entry, base, status.get(entry.name))
        changes.append(_with_options(change, force, skip))
    for name in deletions:
        existing = _look(planner, name, True)
        versions[name] = existing.version
        changes.append(_with_options(_plan_delete(existing, name, base), force, skip))
    return tuple(changes), versions, planner


# A refusal that force= cannot override starts with this.
_UNSAFE = "unsafe: "


def _look(planner: _Planner, name: str, allow_case_conflicts: bool) -> Existing:
    try:
        existing = planner.check(name)
    except UnpackError as error:
        return Existing(refusal=_UNSAFE + error.msg)
    if existing.refusal is not None:
        return Existing(refusal=_UNSAFE + existing.refusal)
    if not allow_case_conflicts and existing.data is None:
        last = name.rsplit("/", 1)[-1]
        for sibling in planner.siblings(name):
            if sibling != last and fold(sibling) == fold(last):
                return Existing(
                    refusal=f"{_UNSAFE}{name!r} differs only in case or Unicode normalization from"
                    f" {sibling!r}, which is in the target directory"
                )
    return existing


def _plan_write(existing: Existing, entry: Entry, base: Bundle | None, status: str | None) -> PlannedChange:
    name, new = entry.name, entry.data
    old = existing.data

    def change(action: Action, reason: str | None) -> PlannedChange:
        return PlannedChange(
            name,
            action,
            reason,
            old_sha256=_sha256(old),
            new_sha256=_sha256(new),
            old_executable=existing.executable,
            new_executable=entry.executable,
            old=old,
            new=new,
        )

    if existing.refusal is not None:
        return change("refused", existing.refusal)
    intended: Action = "create" if old is None else "modify"
    if old == new and existing.executable == entry.executable:
        intended = "unchanged"
    problem = _base_problem(name, existing, base, deleting=False)
    if status is not None:  # a doubtful file is refused first: forcing it must be a decision about it
        problem = ("refused", f"the answer's file is {status}")
    if problem is None:
        return change(intended, None)
    return change(problem[0], problem[1])


def _plan_delete(existing: Existing, name: str, base: Bundle | None) -> PlannedChange:
    old = existing.data

    def change(action: Action, reason: str | None) -> PlannedChange:
        return PlannedChange(
            name, action, reason, old_sha256=_sha256(old), old_executable=existing.executable, old=old
        )

    if existing.refusal is not None:
        return change("refused", existing.refusal)
    if old is None:
        return change("unchanged", "the answer deletes it, and it is not there")
    problem = _base_problem(name, existing, base, deleting=True)
    if problem is None:
        return change("delete", None)
    return change(problem[0], problem[1])


def _base_problem(
    name: str, existing: Existing, base: Bundle | None, *, deleting: bool
) -> tuple[Literal["conflict", "refused"], str] | None:
    if base is None:
        return None
    was = base.get(name)
    if was is None:
        if existing.data is None:
            return None
        verb = "deletes" if deleting else "creates"
        return (
            "conflict",
            f"the answer {verb} {name!r}, but a file of that name that was not in the prompt exists",
        )
    if existing.data is None:
        return "conflict", f"{name!r} was in the prompt but has been deleted since"
    if existing.data != was.data or existing.executable != was.executable:
        return "conflict", f"{name!r} has changed on the disk since the prompt"
    return None


def _with_options(change: PlannedChange, force: frozenset[str], skip: frozenset[str]) -> PlannedChange:
    if change.name in skip:
        return attrs.evolve(change, skipped=True, reason=change.reason or "skipped")
    if change.name not in force or change.action not in ("conflict", "refused"):
        return change
    if change.reason is not None and change.reason.startswith(_UNSAFE):
        return attrs.evolve(change, reason=change.reason + " (force cannot override this; skip it)")
    if change.new is None:
        action: Action = "delete"
    elif change.old is None:
        action = "create"
    elif change.old == change.new and change.old_executable == change.new_executable:
        action = "unchanged"
    else:
        action = "modify"
    return attrs.evolve(change, action=action, forced=True, reason=f"forced: {change.reason}")


# -- the diff ------------------------------------------------------------------


def _is_binary(data: bytes | None) -> bool:
    if data is None:
        return False
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _diff_of(change: PlannedChange) -> str:
    if change.action in ("conflict", "refused") and not change.forced:
        note = "skipped " if change.skipped else ""
        return f"# {note}{change.action} {change.name}: {change.reason}\n"
    if change.skipped or not change.writes:
        return ""
    old_name = "/dev/null" if change.old is None else f"a/{change.name}"
    new_name = "/dev/null" if change.new is None else f"b/{change.name}"
    lines = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    if change.old is not None and change.new is not None and change.old_executable != change.new_executable:
        lines[:0] = [
            f"old mode {'100755' if change.old_executable else '100644'}\n",
            f"new mode {'100755' if change.new_executable else '100644'}\n",
        ]
    if _is_binary(change.old) or _is_binary(change.new):
        lines.append(f"Binary file {change.name}: {_describe(change.old)} -> {_describe(change.new)}\n")
        return "".join(lines)
    old = (change.old or b"").decode("utf-8").splitlines(keepends=True)
    new = (change.new or b"").decode("utf-8").splitlines(keepends=True)
    body = list(difflib.unified_diff(old, new, n=3))[2:]
    for line in body:
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def _describe(data: bytes | None) -> str:
    if data is None:
        return "none"
    return f"{len(data)} bytes, sha256 {_sha256(data)}"


# -- applying -------------------------------------------------------------------


def undo_text(plan: ApplyPlan) -> str:
    """The undo answer of a plan: the old content of each modified or deleted file, a DELETE line per created one."""
    restore = [
        Entry(change.name, change.old, executable=change.old_executable)
        for change in plan.actions
        if change.writes and change.old is not None
    ]
    created = [change.name for change in plan.actions if change.writes and change.old is None]
    comment = "Undo of a seedbundle apply: apply this answer to the same directory to restore it."
    text = dumps(Bundle(restore, comment=comment))
    return text + "".join(f"<<<DELETE {encode_name(name)}>>>\n" for name in created)


def apply(
    source: ApplyPlan | Extraction | Bundle,
    directory: str | os.PathLike[str] | None = None,
    /,
    *,
    undo_to: str | os.PathLike[str] | None = None,
    base: Bundle | None = None,
    force: Iterable[str] = (),
    skip: Iterable[str] = (),
    allow_case_conflicts: bool = False,
) -> ApplyResult:
    """Apply an answer to a directory: every change or none, with an undo answer.

    The plan (given, or made here as [`plan_apply`][seedbundle.plan_apply]
    makes it) is made again against the directory as it is now; if it
    differs, or anything is a conflict or refused (and not forced or
    skipped), nothing is written. Then every new file is written beside its
    final name, and only when all are written are they moved into place and
    the deleted files moved aside; on any failure or interrupt everything is
    put back. A directory that a deletion leaves empty is removed.

    Args:
        source: A plan, or what to plan: an extraction or a bundle.
        directory: The directory; only when ``source`` is not a plan.
        undo_to: Where to write the undo answer (a new file), before the
            directory is changed; removed again if applying fails.
        base: As for [`plan_apply`][seedbundle.plan_apply], when planning here.
        force: As for [`plan_apply`][seedbundle.plan_apply], when planning here.
        skip: As for [`plan_apply`][seedbundle.plan_apply], when planning here.
        allow_case_conflicts: As for [`plan_apply`][seedbundle.plan_apply].

    Returns:
        The [`ApplyResult`][seedbundle.ApplyResult], with the undo answer.

    Raises:
        UnpackError: If the plan cannot be applied, or the directory changed
            since the plan; nothing has been written.
        FileExistsError: If ``undo_to`` exists.
        OSError: If the file system fails; the directory is as it was.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> target = tempfile.mkdtemp()
        >>> result = seedbundle.apply(seedbundle.extract("<<<FILE a.txt>>>\\nA\\n<<<END 1>>>\\n"), target)
        >>> os.listdir(target)
        ['a.txt']
        >>> _ = seedbundle.apply(seedbundle.read_change(result.undo), target)
        >>> os.listdir(target)
        []

    Added in version 1.1.0.
    """
    if isinstance(source, ApplyPlan):
        if directory is not None and os.fspath(directory) != source.directory:
            raise ValueError("apply() takes the directory of the plan; pass no directory with a plan")
        plan = source
    else:
        if directory is None:
            raise TypeError("apply() needs a directory unless it is given a plan")
        plan = plan_apply(
            source, directory, base=base, force=force, skip=skip, allow_case_conflicts=allow_case_conflicts
        )
    with Cursor(plan.directory) as cursor:
        now, versions, planner = _plan_in(cursor, plan._source, plan._options)
        if now != plan.actions:
            changed = next(
                (new.name for new, old in zip(now, plan.actions, strict=False) if new != old), plan.directory
            )
            raise UnpackError(
                f"{changed!r} changed in the directory since the plan; nothing was written", changed
            )
        blocking = next((change for change in now if change.blocks), None)
        if blocking is not None:
            raise UnpackError(
                f"{blocking.name!r} is a {blocking.action}: {blocking.reason}; nothing was written",
                blocking.name,
            )
        undo = undo_text(plan)
        with _undo_file(undo_to, undo):
            _write(planner, now, versions)
    return ApplyResult(plan, undo, None if undo_to is None else os.fspath(undo_to))


@contextlib.contextmanager
def _undo_file(path: str | os.PathLike[str] | None, text: str) -> Iterator[None]:
    if path is None:
        yield
        return
    with open(path, "x", encoding="utf-8", newline="") as file:
        file.write(text)
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _write(
    planner: _Planner, changes: tuple[PlannedChange, ...], versions: dict[str, tuple[int, ...] | None]
) -> None:
    writes = [change for change in changes if change.writes]
    if not writes:
        return
    with _Writer(planner.cursor, overwrite=True, leftovers=planner.leftovers) as writer:
        for change in writes:
            if change.new is None:
                writer.remove(change.name, versions[change.name])
            else:
                entry = Entry(change.name, change.new, executable=change.new_executable)
                writer.stage(entry, change.old is not None, expect=versions[change.name])
        writer.commit()
