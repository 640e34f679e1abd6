"""seedbundle: lossless, safe, fast plain-text bundles of many files.

Examples:
    >>> import seedbundle
    >>> bundle = seedbundle.Bundle([seedbundle.Entry("hello.txt", "Hello!\\n")])
    >>> seedbundle.loads(seedbundle.dumps(bundle)) == bundle
    True
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from ._api import dump, dumps, load, loads
    from ._apply import ApplyPlan, ApplyResult, PlannedChange, apply, plan_apply, read_change
    from ._article import Article
    from ._errors import (
        BundleDecodeError,
        BundleEncodeError,
        BundleError,
        PackError,
        PackWarning,
        UnpackError,
    )
    from ._extract import extract
    from ._extract_codes import Diagnostic
    from ._extract_result import ExtractedFile, Extraction
    from ._instructions import instructions
    from ._model import Bundle, Entry
    from ._pack import pack, pack_to
    from ._profile import PromptProfile
    from ._select import Ignored
    from ._shards import ShardRows, ShardWriter, byte_ranges, read_shard, shard_size
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
    "read_shard",
    "ShardRows",
    "ShardWriter",
    "byte_ranges",
    "shard_size",
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


# The module that defines each public name. They are imported on first use:
# pytest imports seedbundle.pytest_plugin in every project that has seedbundle
# installed, and the core costs about 100 ms to import.
_HOMES = {
    name: module
    for module, names in {
        "_api": "dump dumps load loads",
        "_apply": "ApplyPlan ApplyResult PlannedChange apply plan_apply read_change",
        "_article": "Article",
        "_errors": "BundleDecodeError BundleEncodeError BundleError PackError PackWarning UnpackError",
        "_extract": "extract",
        "_extract_codes": "Diagnostic",
        "_extract_result": "ExtractedFile Extraction",
        "_instructions": "instructions",
        "_model": "Bundle Entry",
        "_pack": "pack pack_to",
        "_profile": "PromptProfile",
        "_select": "Ignored",
        "_shards": "ShardRows ShardWriter byte_ranges read_shard shard_size",
        "_stream": "BundleReader BundleWriter open",
        "_tokens": "count_tokens token_counter",
        "_unpack": "unpack unpack_from",
        "_volumes": "VolumeError join pack_volumes",
    }.items()
    for name in names.split()
}


def __getattr__(name: str) -> object:
    # The version lives in pyproject.toml alone, and reaches us through the
    # package metadata, which is read only when asked for.
    if name == "__version__":
        from ._version import installed_version

        return installed_version()
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'seedbundle' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
