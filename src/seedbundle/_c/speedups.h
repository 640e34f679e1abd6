/* seedbundle._speedups: the optional C accelerator.
 *
 * The C code only ever declines, never decides: every function either does
 * the common case exactly as the Python code would, or returns None (or a
 * documented "declined" value) so that the Python code handles the input and
 * raises the error with its message and position.
 *
 * Written against the stable ABI of CPython 3.11 (Py_LIMITED_API), so that
 * one abi3 wheel serves every later CPython.
 */
#ifndef SEEDBUNDLE_SPEEDUPS_H
#define SEEDBUNDLE_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The functions of the reading side (scan.c) and of the writing side (write.c). */
extern PyMethodDef sb_scan_methods[];
extern PyMethodDef sb_write_methods[];

#endif
