/* The reading side of seedbundle._speedups: the scanner's plain-entry path.
 *
 * scan_plain() reads entries from a run of FILE lines whose header it knows
 * (a bare or simply quoted name, and at most noeol and exec) and whose
 * content is valid UTF-8 under a name not seen yet, and builds their Entry
 * objects. At the first line it does not know, it stops and returns that
 * line's offset: seedbundle._scanner then reads that line with the Python
 * decoder, which builds the entry or raises the error, and calls again. So
 * the C code never decides that an input is wrong; it only declines.
 *
 * The rules it applies are those of _scanner._content (where content ends,
 * which lines are escaped), of _syntax (the header line) and of the decoder
 * (UTF-8, noeol, duplicate names); tests/test_native_read.py holds the two
 * paths equal.
 */
#include "speedups.h"

#include <stdint.h>
#include <string.h>

/* How many escaped-line offsets an entry keeps on the stack; past that,
 * the copy finds the escaped lines again instead of keeping them all. */
#define KEPT_ESCAPES 64

/* The leftmost "<<<" that starts in [p, end - 3], or NULL. */
static const char *
find_marker(const char *p, const char *end)
{
    while (end - p >= 3) {
        const char *q = memchr(p, '<', (size_t)(end - p - 2));
        if (q == NULL) {
            return NULL;
        }
        if (q[1] != '<') {
            p = q + 2;
        }
        else if (q[2] != '<') {
            p = q + 3;
        }
        else {
            return q;
        }
    }
    return NULL;
}

/* Whether the code point is allowed in a bare name (grammar.lark, BARE_NAME). */
static int
bare_code_point(uint32_t c)
{
    if (c <= 0x20 || c == '"' || c == '<' || c == '>' || c == '\\' || (c >= 0x7F && c <= 0xA0)) {
        return 0;
    }
    if (c == 0xAD || c == 0x61C || c == 0x1680 || c == 0x180E || c == 0x3000 || c == 0xFEFF) {
        return 0;
    }
    if ((c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x2064)
        || (c >= 0x2066 && c <= 0x206F) || (c >= 0xFFF9 && c <= 0xFFFB)) {
        return 0;
    }
    return 1;
}

/* The length of the valid UTF-8 sequence of at least two bytes at s (before
 * end), storing its code point, or 0 if it is not one. The same rules as
 * Python's strict codec: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static Py_ssize_t
utf8_sequence(const unsigned char *s, const unsigned char *end, uint32_t *code_point)
{
    unsigned char lead = s[0];
    Py_ssize_t length;
    unsigned char low = 0x80, high = 0xBF;
    uint32_t c;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        c = lead & 0x1F;
    }
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        c = lead & 0x0F;
        if (lead == 0xE0) {
            low = 0xA0;
        }
        else if (lead == 0xED) {
            high = 0x9F;
        }
    }
    else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        c = lead & 0x07;
        if (lead == 0xF0) {
            low = 0x90;
        }
        else if (lead == 0xF4) {
            high = 0x8F;
        }
    }
    else {
        return 0;
    }
    if (end - s < length || s[1] < low || s[1] > high) {
        return 0;
    }
    c = (c << 6) | (s[1] & 0x3F);
    for (Py_ssize_t i = 2; i < length; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *code_point = c;
    return length;
}

#define HIGH_BITS UINT64_C(0x8080808080808080)

/* Whether [s, end) is valid UTF-8; ASCII is checked 32 bytes at a time. */
static int
valid_utf8(const unsigned char *s, const unsigned char *end)
{
    while (s < end) {
        while (end - s >= 32) {
            uint64_t words[4];
            memcpy(words, s, sizeof words);
            if ((words[0] | words[1] | words[2] | words[3]) & HIGH_BITS) {
                break;
            }
            s += 32;
        }
        while (s < end && *s < 0x80) {
            s++;
            if (((uintptr_t)s & 31) == 0) {
                break; /* back to the wide loop */
            }
        }
        while (s < end && *s >= 0x80) {
            uint32_t ignored;
            Py_ssize_t length = utf8_sequence(s, end, &ignored);
            if (length == 0) {
                return 0;
            }
            s += length;
        }
    }
    return 1;
}

/* What one call needs to build entries as _model._new_entry does. */
typedef struct {
    newfunc object_new;
    PyObject *type;
    PyObject *no_args;
    PyObject *s_name;
    PyObject *s_data;
    PyObject *s_executable;
} Builder;

static void
builder_clear(Builder *builder)
{
    Py_CLEAR(builder->no_args);
    Py_CLEAR(builder->s_name);
    Py_CLEAR(builder->s_data);
    Py_CLEAR(builder->s_executable);
}

static int
builder_init(Builder *builder, PyObject *type)
{
    memset(builder, 0, sizeof *builder);
    builder->type = type;
    builder->object_new = (newfunc)PyType_GetSlot(&PyBaseObject_Type, Py_tp_new);
    if (builder->object_new == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_SystemError, "object has no tp_new");
        }
        return -1;
    }
    builder->no_args = PyTuple_New(0);
    builder->s_name = PyUnicode_InternFromString("name");
    builder->s_data = PyUnicode_InternFromString("data");
    builder->s_executable = PyUnicode_InternFromString("executable");
    if (builder->no_args == NULL || builder->s_name == NULL || builder->s_data == NULL
        || builder->s_executable == NULL) {
        builder_clear(builder);
        return -1;
    }
    return 0;
}

/* A new Entry, built without its validators, like _model._new_entry. */
static PyObject *
new_entry(Builder *builder, PyObject *name, PyObject *data, int executable)
{
    PyObject *entry = builder->object_new((PyTypeObject *)builder->type, builder->no_args, NULL);
    if (entry == NULL) {
        return NULL;
    }
    if (PyObject_GenericSetAttr(entry, builder->s_name, name) < 0
        || PyObject_GenericSetAttr(entry, builder->s_data, data) < 0
        || PyObject_GenericSetAttr(entry, builder->s_executable, executable ? Py_True : Py_False) < 0) {
        Py_DECREF(entry);
        return NULL;
    }
    return entry;
}

/* A FILE line that the fast path knows. */
typedef struct {
    const char *name;        /* the name's first byte (inside the quotes of a quoted name) */
    Py_ssize_t name_size;
    int ascii;               /* whether the name is ASCII */
    int noeol;
    int executable;
    const char *content;     /* after the LF that ends the line */
} Header;

/* Parse the FILE line at p (before end) into header; 0 if the fast path declines it. */
static int
parse_header(const char *p, const char *end, Header *header)
{
    const unsigned char *s, *stop = (const unsigned char *)end;
    if (end - p < 8 || memcmp(p, "<<<FILE ", 8) != 0) {
        return 0;
    }
    s = (const unsigned char *)p + 8;
    header->ascii = 1;
    if (s < stop && *s == '"') {
        /* A quoted name without escapes is its characters as they are. */
        const unsigned char *first = ++s;
        while (s < stop && *s != '"') {
            if (*s < 0x20 || *s == '\\') {
                return 0;
            }
            if (*s >= 0x80) {
                uint32_t ignored;
                Py_ssize_t length = utf8_sequence(s, stop, &ignored);
                if (length == 0) {
                    return 0;
                }
                header->ascii = 0;
                s += length;
            }
            else {
                s++;
            }
        }
        if (s == stop || s == first) {
            return 0;
        }
        header->name = (const char *)first;
        header->name_size = (Py_ssize_t)(s - first);
        s++;
    }
    else {
        const unsigned char *first = s;
        while (s < stop) {
            if (*s < 0x80) {
                if (!bare_code_point(*s)) {
                    break;
                }
                s++;
            }
            else {
                uint32_t c;
                Py_ssize_t length = utf8_sequence(s, stop, &c);
                if (length == 0 || !bare_code_point(c)) {
                    return 0;
                }
                header->ascii = 0;
                s += length;
            }
        }
        if (s == first) {
            return 0;
        }
        header->name = (const char *)first;
        header->name_size = (Py_ssize_t)(s - first);
    }
    header->noeol = 0;
    header->executable = 0;
    while (s < stop && *s == ' ') {
        s++;
        if (stop - s >= 5 && memcmp(s, "noeol", 5) == 0 && !header->noeol) {
            header->noeol = 1;
            s += 5;
        }
        else if (stop - s >= 4 && memcmp(s, "exec", 4) == 0 && !header->executable) {
            header->executable = 1;
            s += 4;
        }
        else {
            return 0;
        }
        if (s < stop && *s != ' ' && *s != '>') {
            return 0; /* a longer word, such as "executable" */
        }
    }
    if (stop - s < 4 || memcmp(s, ">>>\n", 4) != 0) {
        return 0;
    }
    header->content = (const char *)s + 4;
    return 1;
}

/* The start of the line of the "<<<" at found, if that line is escaped (a
 * run of '\' then "<<<"), else NULL. begin - 1 is an LF, and found > begin. */
static const char *
escaped_line(const char *found, const char *begin)
{
    const char *line = found - 1;
    if (*line != '\\') {
        return NULL;
    }
    while (line > begin && line[-1] == '\\') {
        line--;
    }
    return line[-1] == '\n' ? line : NULL;
}

/* Where the content that starts at begin (after an LF) ends: at the next
 * line that begins with "<<<", or at end. The starts of the first
 * KEPT_ESCAPES escaped lines go to escapes, and their number to *count.
 * The same search as _scanner._content: only the first "<<<" of a line can
 * make it structural or escaped, so after each one the search goes on at
 * the next line. */
static const char *
content_end(const char *begin, const char *end, const char **escapes, Py_ssize_t *count)
{
    const char *p = begin;
    *count = 0;
    for (;;) {
        const char *found = find_marker(p, end);
        const char *line, *line_end;
        if (found == NULL) {
            return end;
        }
        if (found[-1] == '\n') { /* found[-1] is at least the LF before begin */
            return found;
        }
        line = escaped_line(found, begin);
        if (line != NULL) {
            if (*count < KEPT_ESCAPES) {
                escapes[*count] = line;
            }
            (*count)++;
        }
        line_end = memchr(found + 3, '\n', (size_t)(end - (found + 3)));
        if (line_end == NULL) {
            return end;
        }
        p = line_end + 1;
    }
}

/* Copy [begin, stop), which holds count escaped lines and no structural
 * one, to out without the first '\' of each escaped line. */
static void
copy_unescaped(char *out, const char *begin, const char *stop, const char **escapes, Py_ssize_t count)
{
    const char *from = begin;
    if (count <= KEPT_ESCAPES) {
        for (Py_ssize_t i = 0; i < count; i++) {
            memcpy(out, from, (size_t)(escapes[i] - from));
            out += escapes[i] - from;
            from = escapes[i] + 1;
        }
    }
    else {
        /* Too many to keep: find them again, with the search of content_end. */
        const char *p = begin;
        for (;;) {
            const char *found = find_marker(p, stop);
            const char *line, *line_end;
            if (found == NULL) {
                break;
            }
            line = escaped_line(found, begin);
            if (line != NULL) {
                memcpy(out, from, (size_t)(line - from));
                out += line - from;
                from = line + 1;
            }
            line_end = memchr(found + 3, '\n', (size_t)(stop - (found + 3)));
            if (line_end == NULL) {
                break;
            }
            p = line_end + 1;
        }
    }
    memcpy(out, from, (size_t)(stop - from));
}

/* The bytes [begin, stop) without the first '\' of each escaped line. */
static PyObject *
unescaped(const char *begin, const char *stop, const char **escapes, Py_ssize_t count)
{
    PyObject *result;
    char *out;
    if (count == 0) {
        return PyBytes_FromStringAndSize(begin, stop - begin);
    }
    result = PyBytes_FromStringAndSize(NULL, (stop - begin) - count);
    if (result == NULL) {
        return NULL;
    }
    out = PyBytes_AsString(result);
    if (out == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    copy_unescaped(out, begin, stop, escapes, count);
    return result;
}

/* Read one plain entry at p into entries; 1 if it was read, 0 if declined, -1 on error. */
static int
scan_one(Builder *builder, const char *p, const char *end, PyObject *names, PyObject *entries,
         const char **next)
{
    Header header;
    const char *escapes[KEPT_ESCAPES];
    Py_ssize_t count;
    const char *stop, *after;
    PyObject *name, *data, *entry;
    int known;
    if (!parse_header(p, end, &header)) {
        return 0;
    }
    after = content_end(header.content, end, escapes, &count);
    stop = after;
    if (header.noeol) {
        /* noeol takes off the LF of the last line; without one, the decoder explains. */
        if (stop == header.content || stop[-1] != '\n') {
            return 0;
        }
        stop--;
    }
    if (!valid_utf8((const unsigned char *)header.content, (const unsigned char *)stop)) {
        return 0;
    }
    if (header.ascii) {
        name = PyUnicode_FromStringAndSize(header.name, header.name_size);
    }
    else {
        name = PyUnicode_DecodeUTF8(header.name, header.name_size, "strict");
    }
    if (name == NULL) {
        return -1;
    }
    known = PySet_Contains(names, name);
    if (known != 0) {
        Py_DECREF(name);
        return known < 0 ? -1 : 0; /* a duplicate: the decoder says so */
    }
    data = unescaped(header.content, stop, escapes, count);
    if (data == NULL) {
        Py_DECREF(name);
        return -1;
    }
    entry = new_entry(builder, name, data, header.executable);
    Py_DECREF(data);
    if (entry == NULL) {
        Py_DECREF(name);
        return -1;
    }
    if (PySet_Add(names, name) < 0) {
        Py_DECREF(name);
        Py_DECREF(entry);
        return -1;
    }
    if (PyList_Append(entries, entry) < 0) {
        (void)PySet_Discard(names, name);
        Py_DECREF(name);
        Py_DECREF(entry);
        return -1;
    }
    Py_DECREF(name);
    Py_DECREF(entry);
    *next = after;
    return 1;
}

PyDoc_STRVAR(scan_plain_doc,
"scan_plain(data, position, stop, names, entries, starts, entry_type, /) -> int\n\
\n\
Read the plain entries of data[position:stop] that begin at position.\n\
\n\
data is bytes; position is a line start; stop is the end of data or the\n\
start of a structural line. Each entry read is appended to entries (a\n\
list) as an entry_type built like _model._new_entry, its name added to\n\
names (a set) and, unless starts is None, its offset appended to starts.\n\
Returns the offset of the first line not read: stop, or a line that the\n\
Python scanner must read. Input that is not bytes is not read at all.");

static PyObject *
scan_plain(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *data, *names, *entries, *starts, *type;
    Py_ssize_t position, stop, size;
    const char *buffer;
    Builder builder;
    if (nargs != 7) {
        PyErr_Format(PyExc_TypeError, "scan_plain() takes 7 arguments (%zd given)", nargs);
        return NULL;
    }
    data = args[0];
    names = args[3];
    entries = args[4];
    starts = args[5];
    type = args[6];
    position = PyLong_AsSsize_t(args[1]);
    if (position == -1 && PyErr_Occurred()) {
        return NULL;
    }
    stop = PyLong_AsSsize_t(args[2]);
    if (stop == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (!PySet_Check(names) || !PyList_Check(entries) || (starts != Py_None && !PyList_Check(starts))
        || !PyType_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "scan_plain() needs a set, a list, a list or None, and a type");
        return NULL;
    }
    if (!PyBytes_Check(data)) {
        return PyLong_FromSsize_t(position); /* declined: the Python scanner reads it */
    }
    size = PyBytes_Size(data);
    buffer = PyBytes_AsString(data);
    if (size < 0 || buffer == NULL) {
        return NULL;
    }
    if (position < 0 || position > stop || stop > size) {
        PyErr_SetString(PyExc_ValueError, "scan_plain() needs 0 <= position <= stop <= len(data)");
        return NULL;
    }
    if (builder_init(&builder, type) < 0) {
        return NULL;
    }
    while (position < stop) {
        const char *next = NULL;
        int read = scan_one(&builder, buffer + position, buffer + stop, names, entries, &next);
        if (read < 0) {
            builder_clear(&builder);
            return NULL;
        }
        if (read == 0) {
            break;
        }
        if (starts != Py_None) {
            PyObject *offset = PyLong_FromSsize_t(position);
            int appended = offset == NULL ? -1 : PyList_Append(starts, offset);
            Py_XDECREF(offset);
            if (appended < 0) {
                builder_clear(&builder);
                return NULL;
            }
        }
        position = next - buffer;
    }
    builder_clear(&builder);
    return PyLong_FromSsize_t(position);
}

PyMethodDef sb_scan_methods[] = {
    {"scan_plain", (PyCFunction)(void (*)(void))scan_plain, METH_FASTCALL, scan_plain_doc},
    {NULL, NULL, 0, NULL},
};
