"""seedbundle: lossless, safe, fast plain-text bundles of many files.

Examples:
    >>> import seedbundle
    >>> bundle = seedbundle.Bundle([seedbundle.Entry("hello.txt", "Hello!\\n")])
    >>> seedbundle.loads(seedbundle.dumps(bundle)) == bundle
    True
"""

from __future__ import annotations

from importlib.metadata import version as _version

from ._api import dump, dumps, load, loads
from ._article import Article
from ._errors import BundleDecodeError, BundleEncodeError, BundleError
from ._files import PackError, PackWarning, UnpackError, pack, pack_to, unpack, unpack_from
from ._model import Bundle, Entry
from ._stream import BundleReader, BundleWriter, open

__version__ = _version("seedbundle")

__all__ = [
    "Article",
    "Bundle",
    "BundleDecodeError",
    "BundleEncodeError",
    "BundleError",
    "BundleReader",
    "BundleWriter",
    "Entry",
    "PackError",
    "PackWarning",
    "UnpackError",
    "dump",
    "dumps",
    "load",
    "loads",
    "open",
    "pack",
    "pack_to",
    "unpack",
    "unpack_from",
]
