/* The module object of seedbundle._speedups; the functions live in scan.c and write.c. */
#include "speedups.h"

static int
speedups_exec(PyObject *module)
{
    if (PyModule_AddFunctions(module, sb_scan_methods) < 0) {
        return -1;
    }
    if (PyModule_AddFunctions(module, sb_write_methods) < 0) {
        return -1;
    }
    /* Bumped whenever a function's contract changes, so that a stale build
     * left in the source tree is refused by seedbundle._native. */
    return PyModule_AddIntConstant(module, "ABI_VERSION", 2);
}

static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, (void *)speedups_exec},
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "seedbundle._speedups",
    "The optional C accelerator of seedbundle's hot loops (private).",
    0,
    NULL,
    speedups_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
