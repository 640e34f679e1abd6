"""The instructions that tell a language model how to answer in the bundle format.

The text ships as package data (``instructions.txt``), loaded through the
package loader so that it works from a zip too. Its first line names its
version; a change in what it asks for gets a new version.
"""

from __future__ import annotations

import functools

__all__ = ["instructions"]


@functools.cache
def instructions() -> str:
    """The instructions that ask a model to answer with whole files in the bundle format.

    They ask for what [`extract`][seedbundle.extract] reads with no
    diagnostic at all: the bare bundle, with no prose and no code fence
    around it; whole files, each after a `<<<FILE path>>>` line; a backslash
    before a content line that begins with `<<<`; `<<<DELETE path>>>` to
    delete a file; and the `<<<END n>>>` line that shows the answer is
    complete. The first line names the version, such as
    `seedbundle answer instructions v1`. `seedbundle pack --instructions`
    puts them in the bundle's comment, so they travel with the files.

    Returns:
        The text, ending in a line feed.

    Examples:
        >>> import seedbundle
        >>> seedbundle.instructions().splitlines()[0]
        'seedbundle answer instructions v1'
        >>> bundle = seedbundle.Bundle([], comment=seedbundle.instructions())
        >>> seedbundle.loads(seedbundle.dumps(bundle)).comment == seedbundle.instructions()
        True

    Added in version 1.1.0.
    """
    from importlib import resources  # about 10 ms, which `seedbundle pack` without the option need not pay

    return resources.files(__package__).joinpath("instructions.txt").read_text(encoding="utf-8")
