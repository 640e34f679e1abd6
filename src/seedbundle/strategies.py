"""Hypothesis strategies for testing code that reads, writes or changes bundles.

They need Hypothesis, which the ``hypothesis`` extra installs::

    python -m pip install "seedbundle[hypothesis]"

``import seedbundle`` never imports Hypothesis; only this module does.

Examples:
    >>> from hypothesis import given, settings
    >>> import seedbundle
    >>> from seedbundle import strategies as sbst
    >>> @settings(max_examples=20)
    ... @given(sbst.bundles(), sbst.entries())
    ... def test_with_entry_adds_or_replaces(bundle, entry):
    ...     assert bundle.with_entry(entry)[entry.name] == entry
    >>> test_with_entry_adds_or_replaces()

Added in version 1.0.0.
"""

from __future__ import annotations

try:
    import hypothesis as _hypothesis  # noqa: F401 - only checks that Hypothesis is installed
except ImportError as error:  # pragma: no cover - the test environment has Hypothesis
    raise ImportError(
        "seedbundle.strategies needs Hypothesis: python -m pip install 'seedbundle[hypothesis]'"
    ) from error

from ._strategies import (
    article_texts,
    articles,
    broken_bundle_texts,
    bundle_texts,
    bundles,
    entries,
    entry_data,
    names,
)

__all__ = [
    "article_texts",
    "articles",
    "broken_bundle_texts",
    "bundle_texts",
    "bundles",
    "entries",
    "entry_data",
    "names",
]
