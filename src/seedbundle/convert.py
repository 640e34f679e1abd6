"""Convert between bundles and the formats people already have.

[`read`][seedbundle.convert.read] turns a Go txtar archive, a tar or zip
archive, or the output of repomix, files-to-prompt, gitingest or
code2prompt into a bundle, with a coded warning for every loss it knows
of; [`write`][seedbundle.convert.write] turns a bundle into txtar, tar or
zip. The how-to "Convert from txtar, tar, zip and prompt packers" lists
what each format loses.

Examples:
    >>> import seedbundle
    >>> from seedbundle import convert
    >>> result = convert.read(b"-- hello.txt --\\nHello!\\n", format="txtar")
    >>> print(seedbundle.dumps(result.bundle), end="")
    <<<FILE hello.txt>>>
    Hello!
    <<<END 1>>>

Added in version 1.1.0.
"""

from __future__ import annotations

from ._convert import detect, read, write
from ._convert_codes import Conversion, ConvertError, ConvertWarning, Written

__all__ = ["read", "write", "detect", "Conversion", "Written", "ConvertWarning", "ConvertError"]  # noqa: RUF022

for _function in (read, write, detect):
    _function.__module__ = __name__
