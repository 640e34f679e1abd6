# Types of the optional C accelerator, seedbundle._speedups (src/seedbundle/_c).
# The module exists only where it was compiled; seedbundle._native loads it.

ABI_VERSION: int
