# Types of the optional C accelerator, seedbundle._speedups (src/seedbundle/_c).
# The module exists only where it was compiled; seedbundle._native loads it.

ABI_VERSION: int

# The reading side (scan.c).
def scan_plain(
    data: bytes,
    position: int,
    stop: int,
    names: set[str],
    entries: list[object],
    starts: list[int] | None,
    entry_type: type,
    /,
) -> int: ...

# The writing side and base64 (write.c). Each returns None to decline.
def text_state(chunk: bytes, state: int, /) -> int | None: ...
def escape(block: bytes, /) -> bytes | None: ...
def encode_entry(
    name: str, data: bytes, executable: bool, digest: str | None, /
) -> tuple[bytes, bytes] | tuple[bytes, bytes, bytes] | None: ...
def b64encode(data: bytes | bytearray | memoryview, /) -> bytes: ...
def b64decode(buf: bytes | bytearray | memoryview, start: int, end: int, /) -> bytes | None: ...
def dumps_text(
    comment: str,
    entries: tuple[object, ...],
    digests: tuple[str, ...] | None,
    render: object,
    end: str,
    /,
) -> str | None: ...
