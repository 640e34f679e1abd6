/* The writing side of seedbundle._speedups. */
#include "speedups.h"

PyMethodDef sb_write_methods[] = {
    {NULL, NULL, 0, NULL},
};
