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
