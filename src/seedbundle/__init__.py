"""seedbundle: lossless, safe, fast plain-text bundles of many files.

Examples:
    >>> import seedbundle
    >>> bundle = seedbundle.Bundle([seedbundle.Entry("hello.txt", "Hello!\\n")])
    >>> seedbundle.loads(seedbundle.dumps(bundle)) == bundle
    True
"""

from __future__ import annotations

from ._api import dump, dumps, load, loads
from ._apply import ApplyPlan, ApplyResult, PlannedChange, apply, plan_apply, read_change
from ._article import Article
from ._errors import BundleDecodeError, BundleEncodeError, BundleError, PackError, PackWarning, UnpackError
from ._extract import extract
from ._extract_codes import Diagnostic
from ._extract_result import ExtractedFile, Extraction
from ._instructions import instructions
from ._model import Bundle, Entry
from ._pack import pack, pack_to
from ._profile import PromptProfile
from ._select import Ignored
from ._stream import BundleReader, BundleWriter, open
from ._tokens import count_tokens, token_counter
from ._unpack import unpack, unpack_from
from ._volumes import VolumeError, join, pack_volumes

# In reading order for the API reference, which follows __all__.
__all__ = [  # noqa: RUF022
    "loads",
    "dumps",
    "load",
    "dump",
    "Bundle",
    "Entry",
    "Article",
    "open",
    "BundleReader",
    "BundleWriter",
    "pack",
    "unpack",
    "pack_to",
    "unpack_from",
    "Ignored",
    "pack_volumes",
    "join",
    "PromptProfile",
    "extract",
    "Extraction",
    "ExtractedFile",
    "Diagnostic",
    "read_change",
    "plan_apply",
    "apply",
    "ApplyPlan",
    "PlannedChange",
    "ApplyResult",
    "instructions",
    "count_tokens",
    "token_counter",
    "BundleError",
    "BundleDecodeError",
    "BundleEncodeError",
    "PackError",
    "UnpackError",
    "VolumeError",
    "PackWarning",
]


def __getattr__(name: str) -> str:
    # The version lives in pyproject.toml alone; reading the package metadata
    # costs tens of milliseconds, so it is read only when asked for.
    if name == "__version__":
        from importlib.metadata import version

        return version("seedbundle")
    raise AttributeError(f"module 'seedbundle' has no attribute {name!r}")
