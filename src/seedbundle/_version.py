"""The installed version of seedbundle, read from its package metadata.

``importlib.metadata`` costs about 40 ms to import, a fifth of what
``seedbundle --version`` may take in all. So the metadata file is found
the way ``importlib.metadata`` finds it, in the first entry of ``sys.path``
that holds a ``seedbundle-*.dist-info`` or ``seedbundle*.egg-info``, and
only its ``Version`` header is read. Anything else (no such directory, a
zip on the path, an unreadable file) goes to ``importlib.metadata``, which
decides.

    >>> from importlib.metadata import version
    >>> installed_version() == version("seedbundle")
    True
"""

from __future__ import annotations

import os
import sys

__all__ = ["installed_version"]

_PROJECT = "seedbundle"
_METADATA = {".dist-info": "METADATA", ".egg-info": "PKG-INFO"}


def installed_version() -> str:
    """The version in the metadata of the installed distribution, as ``importlib.metadata.version``.

    Raises:
        importlib.metadata.PackageNotFoundError: seedbundle is not installed.
    """
    for entry in sys.path:
        path = _metadata_file(entry or ".")
        if path is not None:
            found = _header_version(path)
            if found is not None:
                return found
            break  # importlib.metadata would read this one too: let it say what is wrong
    from importlib.metadata import version  # the rare case: let it search and decide

    return version(_PROJECT)


def _metadata_file(directory: str) -> str | None:
    try:
        names = os.listdir(directory)
    except OSError:  # not a directory (a zip on sys.path), or gone
        return None
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        metadata = _METADATA.get(dot + suffix)
        if metadata is None or stem.split("-")[0].lower().replace("_", "-") != _PROJECT:
            continue
        path = os.path.join(directory, name)
        return os.path.join(path, metadata) if os.path.isdir(path) else path
    return None


def _header_version(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                if not line.strip():
                    break  # the headers end at the first blank line
                key, colon, value = line.partition(":")
                if colon and key.strip().lower() == "version":
                    return value.strip()
    except (OSError, UnicodeDecodeError):
        pass
    return None
