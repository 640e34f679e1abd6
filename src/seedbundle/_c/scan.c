/* The reading side of seedbundle._speedups. */
#include "speedups.h"

PyMethodDef sb_scan_methods[] = {
    {NULL, NULL, 0, NULL},
};
