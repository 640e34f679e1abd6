"""A Griffe extension: name base classes by their public path.

The API reference shows the bases of each class. Griffe names a base by the
module that defines it, so ``BundleDecodeError`` would show
``seedbundle._errors.BundleError``. A reader can neither import that name nor
find it on the page. This extension renames every base that the package
exports at its top level to that public name, ``seedbundle.BundleError``,
which the page documents and links to. A builtin base is shown by its
plain name, ``ValueError``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import griffe


def _public_path(path: str) -> str:
    """``pkg._private.Name`` as ``pkg.Name`` when ``pkg`` exports that very object."""
    module_name, _, name = path.rpartition(".")
    if module_name == "builtins":
        return name
    package = module_name.partition(".")[0]
    if "._" not in f".{module_name}" or package not in sys.modules:
        return path
    try:
        defined = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return path
    if getattr(sys.modules[package], name, None) is defined:
        return f"{package}.{name}"
    return path


def _classes(obj: griffe.Object) -> list[griffe.Class]:
    found: list[griffe.Class] = []
    for member in obj.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Class):
            found.append(member)
        if isinstance(member, (griffe.Module, griffe.Class)):
            found.extend(_classes(member))
    return found


class PublicBases(griffe.Extension):
    """Rename private base class paths to the public ones."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the bases once the whole package is loaded."""
        for cls in _classes(pkg):
            cls.bases = [_public_path(base) if isinstance(base, str) else base for base in cls.bases]
