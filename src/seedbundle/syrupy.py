"""Directory snapshots for syrupy: a whole tree as one reviewable ``.bundle`` file.

This module needs syrupy: ``python -m pip install 'seedbundle[syrupy]'``.

Added in version 1.1.0.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

try:
    from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
except ImportError as error:
    raise ImportError("seedbundle.syrupy needs syrupy: python -m pip install 'seedbundle[syrupy]'") from error

from ._api import loads
from ._errors import BundleDecodeError
from ._model import Bundle
from ._snapshot import compare, golden_bytes, snapshot

if TYPE_CHECKING:
    from syrupy.types import PropertyFilter, PropertyMatcher, SerializedData

__all__ = ["BundleSnapshotExtension"]


def _bundle(data: SerializedData) -> Bundle | None:
    """The bundle a snapshot holds, an empty one for a missing snapshot, or None if it cannot be read."""
    if not data:
        return Bundle()
    try:
        return loads(data)
    except BundleDecodeError:
        return None


class BundleSnapshotExtension(SingleFileSnapshotExtension):
    """A syrupy extension that snapshots a directory tree as one ``.bundle`` file.

    Compare a directory (a path) or a [`Bundle`][seedbundle.Bundle] with
    ``snapshot.use_extension(BundleSnapshotExtension)``; update with
    syrupy's own ``--snapshot-update``. (``snapshot(extension_class=...)``
    compares as well, but syrupy then reports the difference with its
    default extension, as one long line of bytes.) Each
    snapshot is the file ``__snapshots__/<test file>/<test name>.bundle``,
    in canonical form, holding every regular file below the directory: the
    ignore files inside it are not read, and a symbolic link is refused. A
    failure lists every file added, missing or changed, as the
    ``assert_tree`` fixture of the pytest plugin does.

    Examples:
        >>> import pytest
        >>> from seedbundle.syrupy import BundleSnapshotExtension
        >>> @pytest.fixture
        ... def tree_snapshot(snapshot):
        ...     return snapshot.use_extension(BundleSnapshotExtension)
        >>> def test_site(tree_snapshot, tmp_path):
        ...     (tmp_path / "index.html").write_text("<h1>Hi</h1>\\n")
        ...     assert tree_snapshot == tmp_path
        >>> BundleSnapshotExtension.file_extension
        'bundle'

    Added in version 1.1.0.
    """

    file_extension = "bundle"
    _write_mode = WriteMode.BINARY

    def serialize(
        self,
        data: Any,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """The canonical bytes of the tree at ``data``, a path, or of ``data``, a bundle.

        Examples:
            >>> import seedbundle
            >>> BundleSnapshotExtension().serialize(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\\n")]))
            b'<<<FILE a.txt>>>\\nA\\n<<<END 1>>>\\n'

        Added in version 1.1.0.
        """
        if isinstance(data, Bundle):
            return golden_bytes(data)
        if isinstance(data, str | os.PathLike):
            return golden_bytes(snapshot(data))
        raise TypeError(
            f"BundleSnapshotExtension compares a directory path or a Bundle, not {type(data).__name__}"
        )

    def matches(self, *, serialized_data: SerializedData, snapshot_data: SerializedData) -> bool:
        """Whether the two hold the same files, whatever their comments or their order.

        Examples:
            >>> extension = BundleSnapshotExtension()
            >>> extension.matches(serialized_data=b"<<<END 0>>>\\n", snapshot_data=b"# notes\\n<<<END 0>>>\\n")
            True

        Added in version 1.1.0.
        """
        actual, golden = _bundle(serialized_data), _bundle(snapshot_data)
        if actual is None or golden is None:
            return bool(serialized_data == snapshot_data)
        return not compare(golden, actual)

    def diff_lines(self, serialized_data: SerializedData, snapshot_data: SerializedData) -> Iterator[str]:
        """Every difference, file by file: added, missing, executable bit, final newline, content.

        Examples:
            >>> extension = BundleSnapshotExtension()
            >>> list(extension.diff_lines(b"<<<FILE a>>>\\n<<<END 1>>>\\n", b"<<<END 0>>>\\n"))
            ['+ a: added (text, 0 bytes, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)']

        Added in version 1.1.0.
        """
        actual, golden = _bundle(serialized_data), _bundle(snapshot_data)
        if actual is None or golden is None:
            yield from super().diff_lines(serialized_data, snapshot_data)
            return
        for report in compare(golden, actual).values():
            yield from report
