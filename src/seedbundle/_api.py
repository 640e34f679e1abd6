"""loads, dumps, load and dump: the standard-library-shaped entry points."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from typing import IO, Any

from ._atomic import AtomicFile
from ._encoder import encode_text, iter_encode
from ._model import Bundle
from ._remote import check_storage_options, is_url, open_url_for_reading, output_for_url
from ._scanner import scan

__all__ = ["dump", "dumps", "load", "loads"]


def _as_bytes(document: object) -> bytes:
    if isinstance(document, bytes):
        return document
    if isinstance(document, str):
        # 'surrogatepass' turns an unpaired surrogate into bytes that are not
        # UTF-8, so the scanner reports it in document order like any other
        # undecodable byte.
        return document.encode("utf-8", "surrogatepass")
    if isinstance(document, bytearray | memoryview):
        return bytes(document)
    raise TypeError(f"a bundle must be str or bytes, not {type(document).__name__}")


def loads(document: str | bytes | bytearray | memoryview, /, *, strict: bool = True) -> Bundle:
    """Parse a bundle from a string or from UTF-8 bytes.

    Args:
        document: The bundle text, or its UTF-8 bytes.
        strict: When true (the default), accept only what the writer
            produces. When false, also accept what people and language
            models write: no END marker, structural lines ending in CRLF, a
            leading byte order mark and white space after the END marker.

    Returns:
        The bundle, with every entry's bytes exactly as they were written.

    Raises:
        BundleDecodeError: For the first problem in document order, with
            its line and column.
        TypeError: If ``document`` is neither str nor bytes.

    Examples:
        >>> import seedbundle
        >>> bundle = seedbundle.loads("<<<FILE a.txt>>>\\nhello\\n<<<END 1>>>\\n")
        >>> bundle["a.txt"].data
        b'hello\\n'
        >>> seedbundle.loads("<<<FILE a.txt>>>\\nhello\\n", strict=False).names
        ('a.txt',)

    Added in version 1.0.0.
    """
    return scan(_as_bytes(document), strict=strict)


def load(
    fp: IO[bytes] | str | os.PathLike[str],
    /,
    *,
    strict: bool = True,
    storage_options: Mapping[str, Any] | None = None,
) -> Bundle:
    """Read a bundle from a binary file object, a path or a URL.

    The file must be opened in binary mode, so that no newline translation
    can change the bytes. For bundles larger than memory use
    [`seedbundle.open`][seedbundle.open] instead.

    Args:
        fp: A readable binary file object, a path, or a URL such as
            ``"s3://bucket/a.bundle"``, read through fsspec (``pip install
            'seedbundle[remote]'``).
        strict: As for [`loads`][loads].
        storage_options: For a URL, the options of its fsspec filesystem.

    Raises:
        BundleDecodeError: As for [`loads`][loads].
        TypeError: If ``fp`` is a text file.
        ValueError: If ``storage_options`` is given without a URL.
        ImportError: For a URL, if fsspec is not installed.

    Changed in version 1.1.0: paths, URLs and ``storage_options``.

    Examples:
        >>> import io, seedbundle
        >>> seedbundle.load(io.BytesIO(b"<<<FILE a>>>\\n<<<END 1>>>\\n")).names
        ('a',)

    Added in version 1.0.0.
    """
    check_storage_options(fp, storage_options)
    if is_url(fp):
        assert isinstance(fp, str)
        with contextlib.closing(open_url_for_reading(fp, storage_options)) as remote:
            return load(remote, strict=strict)
    if isinstance(fp, str | os.PathLike):
        with open(fp, "rb") as file:
            return load(file, strict=strict)
    data: Any = fp.read()
    if isinstance(data, str):
        raise TypeError("load() needs a binary file object: open the file with 'rb'")
    return loads(data, strict=strict)


def dumps(bundle: Bundle, /, *, sha256: bool = False) -> str:
    """Write a bundle in canonical form.

    Args:
        bundle: The bundle to write.
        sha256: Add a ``sha256=<hex>`` attribute to every entry, so that
            readers verify each entry's bytes.

    Returns:
        The bundle text; ``loads(dumps(bundle)) == bundle`` always holds.

    Raises:
        TypeError: If ``bundle`` is not a [`Bundle`][Bundle].

    Examples:
        >>> import seedbundle
        >>> bundle = seedbundle.Bundle([seedbundle.Entry("a.txt", "no newline")])
        >>> print(seedbundle.dumps(bundle), end="")
        <<<FILE a.txt noeol>>>
        no newline
        <<<END 1>>>

    Added in version 1.0.0.
    """
    if not isinstance(bundle, Bundle):
        raise TypeError(f"dumps() needs a Bundle, not {type(bundle).__name__}")
    return encode_text(bundle, sha256=sha256)


def dump(
    bundle: Bundle,
    fp: IO[bytes] | str | os.PathLike[str],
    /,
    *,
    sha256: bool = False,
    storage_options: Mapping[str, Any] | None = None,
) -> None:
    """Write a bundle in canonical form to a binary file object, a path or a URL.

    A path or a URL is written as [`seedbundle.open`][seedbundle.open] writes
    it: it is replaced only once the whole bundle is written.

    Args:
        bundle: The bundle to write.
        fp: A writable binary file object, a path, or a URL written through
            fsspec (``pip install 'seedbundle[remote]'``).
        sha256: As for [`dumps`][dumps].
        storage_options: For a URL, the options of its fsspec filesystem.

    Raises:
        TypeError: If ``bundle`` is not a [`Bundle`][Bundle] or ``fp`` is a
            text file.
        ValueError: If ``storage_options`` is given without a URL.
        ImportError: For a URL, if fsspec is not installed.

    Changed in version 1.1.0: paths, URLs and ``storage_options``.

    Examples:
        >>> import io, seedbundle
        >>> out = io.BytesIO()
        >>> seedbundle.dump(seedbundle.Bundle([seedbundle.Entry("a", b"\\x00")]), out)
        >>> out.getvalue()
        b'<<<FILE a base64>>>\\nAA==\\n<<<END 1>>>\\n'

    Added in version 1.0.0.
    """
    if not isinstance(bundle, Bundle):
        raise TypeError(f"dump() needs a Bundle, not {type(bundle).__name__}")
    check_storage_options(fp, storage_options)
    if isinstance(fp, str | os.PathLike):
        output = output_for_url(str(fp), storage_options) if is_url(fp) else AtomicFile(fp)
        try:
            dump(bundle, output.file, sha256=sha256)
        except BaseException:
            output.discard()
            raise
        output.commit()
        return
    if isinstance(fp, io.TextIOBase):
        raise TypeError("dump() needs a binary file object: open the file with 'wb'")
    for piece in iter_encode(bundle, sha256=sha256):
        fp.write(piece)
