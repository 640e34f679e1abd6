/* The writing side of seedbundle._speedups, and base64 in both directions.
 *
 * Every function here does the common case exactly as the Python code of
 * seedbundle._encoder, seedbundle._syntax and seedbundle._decoder does it,
 * or returns None so that the Python code decides (and raises).
 *
 *   text_state(data, state)      Survey.add: NUL and UTF-8, resumable
 *   escape(data)                 _syntax.escape_text
 *   encode_entry(name, data, executable, digest)
 *                                _encoder.encode_entry, for a bare ASCII name
 *   b64encode(data)              base64.encodebytes
 *   b64decode(buf, start, end)   _decoder.Decoder._base64, canonical layout only
 *   dumps_text(comment, entries, digests, render, end)
 *                                dumps, decoded piece by piece
 */
#include "speedups.h"

#include <string.h>

#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#include <emmintrin.h>
#define SB_SSE2 1
#endif

/* -- scanning text ------------------------------------------------------- */

/* The state of a UTF-8 check between two chunks: 0 at a character boundary,
 * else the number of continuation bytes still due (bits 0-7) and the range
 * the next one must lie in (bits 8-15 and 16-23); later ones are 80-BF. */
#define SB_STATE(need, lo, hi) ((long)(need) | ((long)(lo) << 8) | ((long)(hi) << 16))
#define SB_NOT_TEXT (-1L)

/* Where the escape points of a block go: the offsets of the lines that
 * begin with backslashes, then '<<<'. */
typedef struct {
    Py_ssize_t *items;
    Py_ssize_t count;
    Py_ssize_t capacity;
} sb_offsets;

static int
offsets_push(sb_offsets *offsets, Py_ssize_t value)
{
    if (offsets->count == offsets->capacity) {
        Py_ssize_t capacity = offsets->capacity ? offsets->capacity * 2 : 64;
        if ((size_t)capacity > PY_SSIZE_T_MAX / sizeof(Py_ssize_t)) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t *items = PyMem_Realloc(offsets->items, (size_t)capacity * sizeof(Py_ssize_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        offsets->items = items;
        offsets->capacity = capacity;
    }
    offsets->items[offsets->count++] = value;
    return 0;
}

/* The first index in [i, n) whose byte is NUL, (if high) >= 0x80 or (if angles) '<'. */
static Py_ssize_t
skip_plain(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, int angles, int high)
{
#ifdef SB_SSE2
    const __m128i zero = _mm_setzero_si128();
    const __m128i angle = _mm_set1_epi8(angles ? '<' : 0);
    /* All ones keeps the high bits; zero drops them. */
    const __m128i keep = high ? _mm_set1_epi8((char)0xFF) : zero;
    while (n - i >= 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(a, zero), _mm_cmpeq_epi8(a, angle)),
            _mm_or_si128(_mm_cmpeq_epi8(b, zero), _mm_cmpeq_epi8(b, angle)));
        __m128i kept = _mm_and_si128(_mm_or_si128(a, b), keep);
        if (_mm_movemask_epi8(_mm_or_si128(kept, special)) != 0) {
            break;
        }
        i += 32;
    }
    while (n - i >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i special = _mm_or_si128(_mm_cmpeq_epi8(a, zero), _mm_cmpeq_epi8(a, angle));
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_and_si128(a, keep), special));
        if (mask != 0) {
#if defined(__GNUC__) || defined(__clang__)
            return i + __builtin_ctz((unsigned int)mask);
#else
            break;
#endif
        }
        i += 16;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == 0 || (high && c >= 0x80) || (angles && c == '<')) {
            return i;
        }
    }
    return n;
}

/* The length (2 to 4) of the valid UTF-8 sequence at s[i], whose first byte
 * is >= 0x80; 0 if it is invalid; or, if it is valid so far but cut off by
 * the end, the state that the next chunk starts in, negated. */
static long
utf8_sequence(const unsigned char *s, Py_ssize_t i, Py_ssize_t n)
{
    unsigned char c = s[i];
    long need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) {
            lo = 0xA0;
        }
        else if (c == 0xED) {
            hi = 0x9F; /* no surrogates */
        }
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) {
            lo = 0x90;
        }
        else if (c == 0xF4) {
            hi = 0x8F; /* nothing past U+10FFFF */
        }
    }
    else {
        return 0;
    }
    for (long k = 1; k <= need; k++) {
        if (i + k >= n) {
            return -SB_STATE(need - k + 1, lo, hi);
        }
        unsigned char next = s[i + k];
        if (next < lo || next > hi) {
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* Whether the '<<<' at s[k] ends a run of backslashes that begins a line;
 * if so, where that line begins. */
static Py_ssize_t
escape_point(const unsigned char *s, Py_ssize_t k)
{
    Py_ssize_t j = k;
    while (j > 0 && s[j - 1] == '\\') {
        j--;
    }
    return (j == 0 || s[j - 1] == '\n') ? j : -1;
}

/* Check data from a character boundary: SB_NOT_TEXT for a NUL or invalid
 * UTF-8, else the state at the end (0, or a character cut off by the end).
 * With escapes, also collect the escape points; -2 means an error is set. */
static long
scan_text(const unsigned char *s, Py_ssize_t n, sb_offsets *escapes)
{
    int angles = escapes != NULL;
    Py_ssize_t i = 0;
    for (;;) {
        i = skip_plain(s, i, n, angles, 1);
        if (i >= n) {
            return 0;
        }
        unsigned char c = s[i];
        if (c == 0) {
            return SB_NOT_TEXT;
        }
        if (c == '<') {
            if (n - i >= 3 && s[i + 1] == '<' && s[i + 2] == '<') {
                Py_ssize_t point = escape_point(s, i);
                if (point >= 0 && offsets_push(escapes, point) < 0) {
                    return -2;
                }
                i += 3;
            }
            else {
                i += 1;
            }
            continue;
        }
        long length = utf8_sequence(s, i, n);
        if (length == 0) {
            return SB_NOT_TEXT;
        }
        if (length < 0) {
            return -length;
        }
        i += length;
    }
}

/* Finish the character that the previous chunk cut off; the bytes used, or -1. */
static Py_ssize_t
finish_character(const unsigned char *s, Py_ssize_t n, long *state)
{
    long need = *state & 0xFF;
    unsigned char lo = (unsigned char)((*state >> 8) & 0xFF);
    unsigned char hi = (unsigned char)((*state >> 16) & 0xFF);
    Py_ssize_t i = 0;
    while (need > 0) {
        if (i >= n) {
            *state = SB_STATE(need, lo, hi);
            return i;
        }
        if (s[i] < lo || s[i] > hi) {
            return -1;
        }
        lo = 0x80;
        hi = 0xBF;
        need--;
        i++;
    }
    *state = 0;
    return i;
}

static int
get_bytes(PyObject *object, const char **data, Py_ssize_t *size)
{
    if (!PyBytes_Check(object)) {
        return 0;
    }
    if (PyBytes_AsStringAndSize(object, (char **)data, size) < 0) {
        return -1;
    }
    return 1;
}

/* text_state(chunk: bytes, state: int) -> int
 *
 * The next step of Survey: -1 once the data cannot be text (a NUL byte or
 * invalid UTF-8), else the state after the chunk (0 at a character
 * boundary). Not bytes: None. */
static PyObject *
sb_text_state(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *chunk;
    long state;
    if (!PyArg_ParseTuple(args, "Ol:text_state", &chunk, &state)) {
        return NULL;
    }
    const char *data;
    Py_ssize_t size;
    int kind = get_bytes(chunk, &data, &size);
    if (kind <= 0) {
        if (kind < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    if (state < 0) {
        return PyLong_FromLong(SB_NOT_TEXT);
    }
    const unsigned char *s = (const unsigned char *)data;
    Py_ssize_t used = 0;
    if (state != 0) {
        used = finish_character(s, size, &state);
        if (used < 0) {
            return PyLong_FromLong(SB_NOT_TEXT);
        }
        if (state != 0) {
            return PyLong_FromLong(state);
        }
    }
    return PyLong_FromLong(scan_text(s + used, size - used, NULL));
}

/* The escaped copy of s[0:n], given its escape points. */
static PyObject *
escaped_copy(const char *s, Py_ssize_t n, const sb_offsets *escapes)
{
    if (n > PY_SSIZE_T_MAX - escapes->count) {
        return PyErr_NoMemory();
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, n + escapes->count);
    if (out == NULL) {
        return NULL;
    }
    char *target = PyBytes_AsString(out);
    if (target == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    Py_ssize_t last = 0;
    for (Py_ssize_t k = 0; k < escapes->count; k++) {
        Py_ssize_t point = escapes->items[k];
        memcpy(target, s + last, (size_t)(point - last));
        target += point - last;
        *target++ = '\\';
        last = point;
    }
    memcpy(target, s + last, (size_t)(n - last));
    return out;
}

/* escape(block: bytes) -> bytes | None
 *
 * escape_text: every line that begins with backslashes, then '<<<', gets
 * one more backslash; the block itself if no line does. Not bytes: None. */
static PyObject *
sb_escape(PyObject *Py_UNUSED(module), PyObject *block)
{
    const char *data;
    Py_ssize_t size;
    int kind = get_bytes(block, &data, &size);
    if (kind <= 0) {
        if (kind < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    sb_offsets escapes = {NULL, 0, 0};
    const unsigned char *s = (const unsigned char *)data;
    const char *found = size >= 3 ? memchr(data, '<', (size_t)size) : NULL;
    while (found != NULL) {
        Py_ssize_t i = found - data;
        if (size - i < 3) {
            break;
        }
        if (s[i + 1] == '<' && s[i + 2] == '<') {
            Py_ssize_t point = escape_point(s, i);
            if (point >= 0 && offsets_push(&escapes, point) < 0) {
                PyMem_Free(escapes.items);
                return NULL;
            }
            i += 2;
        }
        found = memchr(data + i + 1, '<', (size_t)(size - i - 1));
    }
    PyObject *result;
    if (escapes.count == 0) {
        Py_INCREF(block);
        result = block;
    }
    else {
        result = escaped_copy(data, size, &escapes);
    }
    PyMem_Free(escapes.items);
    return result;
}

/* -- base64 -------------------------------------------------------------- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define B64_LINE 57 /* input bytes per 76-column line */

static Py_ssize_t
b64_encoded_size(Py_ssize_t n)
{
    Py_ssize_t full = n / B64_LINE, rest = n % B64_LINE;
    return full * 77 + (rest ? (rest + 2) / 3 * 4 + 1 : 0);
}

/* Two base64 characters for each 12 bits, filled on first use. */
static char b64_pairs[4096][2];
static int b64_pairs_ready = 0;

static void
b64_fill_pairs(void)
{
    for (int k = 0; k < 4096; k++) {
        b64_pairs[k][0] = b64_alphabet[k >> 6];
        b64_pairs[k][1] = b64_alphabet[k & 0x3F];
    }
    b64_pairs_ready = 1;
}

/* Encode s[0:n] into out (b64_encoded_size(n) bytes) as base64.encodebytes does. */
static void
b64_encode_into(const unsigned char *s, Py_ssize_t n, char *out)
{
    if (!b64_pairs_ready) {
        b64_fill_pairs(); /* idempotent, and run under the GIL */
    }
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t line_end = n - i > B64_LINE ? i + B64_LINE : n;
        for (; line_end - i >= 3; i += 3) {
            unsigned long triple = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
            memcpy(out, b64_pairs[triple >> 12], 2);
            memcpy(out + 2, b64_pairs[triple & 0xFFF], 2);
            out += 4;
        }
        if (line_end - i == 1) {
            *out++ = b64_alphabet[s[i] >> 2];
            *out++ = b64_alphabet[(s[i] & 0x03) << 4];
            *out++ = '=';
            *out++ = '=';
            i += 1;
        }
        else if (line_end - i == 2) {
            *out++ = b64_alphabet[s[i] >> 2];
            *out++ = b64_alphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
            *out++ = b64_alphabet[(s[i + 1] & 0x0F) << 2];
            *out++ = '=';
            i += 2;
        }
        *out++ = '\n';
    }
}

static PyObject *
b64_encode_bytes(const unsigned char *s, Py_ssize_t n)
{
    if (n > PY_SSIZE_T_MAX / 2) {
        return PyErr_NoMemory();
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, b64_encoded_size(n));
    if (out == NULL) {
        return NULL;
    }
    char *target = PyBytes_AsString(out);
    if (target == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    b64_encode_into(s, n, target);
    return out;
}

/* b64encode(data: bytes-like) -> bytes
 *
 * base64.encodebytes: lines of 76 characters (57 bytes), each with its LF,
 * the last one shorter; b"" for no data. */
static PyObject *
sb_b64encode(PyObject *Py_UNUSED(module), PyObject *data)
{
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *out = b64_encode_bytes((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return out;
}

/* The value of each base64 character; 64 for '=', 255 for anything else. */
static const unsigned char b64_values[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255,  64, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* Decode one line of base64 (a multiple of 4 characters) into out; the
 * bytes written, or -1 to decline. Only the last line of a block may end
 * in '=' padding, which binascii's strict mode requires to be the end. */
static Py_ssize_t
b64_decode_line(const unsigned char *s, Py_ssize_t length, int last, unsigned char *out)
{
    unsigned char *start = out;
    Py_ssize_t quads = length / 4;
    for (Py_ssize_t q = 0; q < quads; q++, s += 4) {
        unsigned int a = b64_values[s[0]], b = b64_values[s[1]], c = b64_values[s[2]], d = b64_values[s[3]];
        if ((a | b | c | d) < 64) {
            unsigned long triple = ((unsigned long)a << 18) | ((unsigned long)b << 12) | ((unsigned long)c << 6) | d;
            *out++ = (unsigned char)(triple >> 16);
            *out++ = (unsigned char)(triple >> 8);
            *out++ = (unsigned char)triple;
            continue;
        }
        /* Padding, only in the very last quad: "xx==" or "xxx=". Its unused
         * bits may be non-zero: binascii's strict mode accepts that, and so
         * does seedbundle's strict reader (a documented freedom). */
        if (!last || q != quads - 1 || a >= 64 || b >= 64 || d != 64 || (c > 64)) {
            return -1;
        }
        *out++ = (unsigned char)((a << 2) | (b >> 4));
        if (c != 64) {
            *out++ = (unsigned char)(((b & 0x0F) << 4) | (c >> 2));
        }
    }
    return out - start;
}

/* b64decode(buf: bytes-like, start: int, end: int) -> bytes | None
 *
 * The data of buf[start:end], base64 content in the canonical layout (lines
 * of 76 characters, each with its LF, the last one of 1 to 76, its LF
 * optional), as _decoder decodes it; None for anything else, which the
 * Python code then decodes or explains. */
static PyObject *
sb_b64decode(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *source;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "Onn:b64decode", &source, &start, &end)) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(source, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *out = NULL;
    if (start < 0 || end > view.len || start >= end) {
        goto decline;
    }
    const unsigned char *s = (const unsigned char *)view.buf + start;
    Py_ssize_t n = end - start;
    /* The layout first: full lines of 76 characters and an LF, then a last
     * line of 1 to 76 characters (a multiple of 4), its LF optional. */
    Py_ssize_t characters = s[n - 1] == '\n' ? n - 1 : n;
    Py_ssize_t full = characters / 77, last = characters % 77;
    if (last == 0 || last % 4 != 0) {
        goto decline;
    }
    const unsigned char *tail = s + full * 77 + last;
    Py_ssize_t padding = (tail[-1] == '=') + (tail[-2] == '=');
    Py_ssize_t size = (full * 76 + last) / 4 * 3 - padding;
    out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char *target = (unsigned char *)PyBytes_AsString(out);
    if (target == NULL) {
        Py_DECREF(out);
        PyBuffer_Release(&view);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < full; k++, s += 77, target += 57) {
        if (s[76] != '\n' || b64_decode_line(s, 76, 0, target) != 57) {
            goto decline;
        }
    }
    if (b64_decode_line(s, last, 1, target) != size - full * 57) {
        goto decline;
    }
    PyBuffer_Release(&view);
    return out;
decline:
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* -- the FILE marker line and whole entries ------------------------------ */

/* Whether name (UTF-8) is a bare name made of ASCII only: every byte from
 * '!' to '~' except '"', '<', '>' and '\' (BARE_NAME in grammar.lark). */
static int
simple_bare_name(const char *name, Py_ssize_t size)
{
    if (size == 0) {
        return 0;
    }
    for (Py_ssize_t k = 0; k < size; k++) {
        unsigned char c = (unsigned char)name[k];
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

#define SB_APPEND(literal)                                      \
    do {                                                        \
        memcpy(target, literal, sizeof(literal) - 1);           \
        target += sizeof(literal) - 1;                          \
    } while (0)

/* The FILE marker line with its LF; the name and digest are checked ASCII. */
static PyObject *
render_line(const char *name, Py_ssize_t name_size, int base64, int noeol, int executable,
            const char *digest, Py_ssize_t digest_size)
{
    Py_ssize_t size = 8 + name_size + (base64 ? 7 : 0) + (noeol ? 6 : 0) + (executable ? 5 : 0) +
                      (digest ? 8 + digest_size : 0) + 4;
    PyObject *line = PyBytes_FromStringAndSize(NULL, size);
    if (line == NULL) {
        return NULL;
    }
    char *target = PyBytes_AsString(line);
    if (target == NULL) {
        Py_DECREF(line);
        return NULL;
    }
    SB_APPEND("<<<FILE ");
    memcpy(target, name, (size_t)name_size);
    target += name_size;
    if (base64) {
        SB_APPEND(" base64");
    }
    if (noeol) {
        SB_APPEND(" noeol");
    }
    if (executable) {
        SB_APPEND(" exec");
    }
    if (digest) {
        SB_APPEND(" sha256=");
        memcpy(target, digest, (size_t)digest_size);
        target += digest_size;
    }
    SB_APPEND(">>>\n");
    return line;
}

/* The UTF-8 of an ASCII str, or NULL without an error set for anything else. */
static const char *
ascii_text(PyObject *text, Py_ssize_t *size)
{
    if (!PyUnicode_Check(text)) {
        return NULL;
    }
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, size);
    if (utf8 == NULL) {
        PyErr_Clear(); /* a surrogate: the Python code raises the error */
        return NULL;
    }
    for (Py_ssize_t k = 0; k < *size; k++) {
        if ((unsigned char)utf8[k] >= 0x80) {
            return NULL;
        }
    }
    return utf8;
}

/* The tuple (line, body), or (line, body, b"\\n"); takes both references. */
static PyObject *
pieces(PyObject *line, PyObject *body, int newline)
{
    PyObject *tuple = PyTuple_New(newline ? 3 : 2);
    if (tuple == NULL) {
        Py_DECREF(line);
        Py_DECREF(body);
        return NULL;
    }
    /* PyTuple_SetItem takes the reference even when it fails. */
    if (PyTuple_SetItem(tuple, 0, line) < 0) {
        Py_DECREF(body);
        Py_DECREF(tuple);
        return NULL;
    }
    if (PyTuple_SetItem(tuple, 1, body) < 0) {
        Py_DECREF(tuple);
        return NULL;
    }
    if (newline) {
        PyObject *lf = PyBytes_FromStringAndSize("\n", 1);
        if (lf == NULL || PyTuple_SetItem(tuple, 2, lf) < 0) {
            Py_DECREF(tuple);
            return NULL;
        }
    }
    return tuple;
}

/* encode_entry(name: str, data: bytes, executable: bool, digest: str | None) -> tuple | None
 *
 * The pieces of _encoder.encode_entry: the FILE marker line with its LF,
 * then the escaped text or the base64 lines, then b"\n" for noeol. None
 * when the name is not a bare ASCII name (the Python code renders it). */
static PyObject *
sb_encode_entry(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *name_object, *data_object, *digest_object;
    int executable;
    if (!PyArg_ParseTuple(args, "OOpO:encode_entry", &name_object, &data_object, &executable,
                          &digest_object)) {
        return NULL;
    }
    Py_ssize_t name_size, digest_size = 0;
    const char *name = ascii_text(name_object, &name_size);
    const char *digest = NULL;
    if (name == NULL || !simple_bare_name(name, name_size)) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    if (digest_object != Py_None) {
        digest = ascii_text(digest_object, &digest_size);
        if (digest == NULL) {
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
    }
    const char *data;
    Py_ssize_t size;
    int kind = get_bytes(data_object, &data, &size);
    if (kind <= 0) {
        if (kind < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    sb_offsets escapes = {NULL, 0, 0};
    long state = scan_text((const unsigned char *)data, size, &escapes);
    if (state == -2) {
        PyMem_Free(escapes.items);
        return NULL;
    }
    PyObject *line, *body;
    if (state != 0) { /* a NUL byte, invalid UTF-8 or a cut character: base64 */
        PyMem_Free(escapes.items);
        line = render_line(name, name_size, 1, 0, executable, digest, digest_size);
        if (line == NULL) {
            return NULL;
        }
        body = b64_encode_bytes((const unsigned char *)data, size);
        if (body == NULL) {
            Py_DECREF(line);
            return NULL;
        }
        return pieces(line, body, 0);
    }
    int noeol = size > 0 && data[size - 1] != '\n';
    if (escapes.count == 0) {
        Py_INCREF(data_object);
        body = data_object;
    }
    else {
        body = escaped_copy(data, size, &escapes);
    }
    PyMem_Free(escapes.items);
    if (body == NULL) {
        return NULL;
    }
    line = render_line(name, name_size, 0, noeol, executable, digest, digest_size);
    if (line == NULL) {
        Py_DECREF(body);
        return NULL;
    }
    return pieces(line, body, noeol);
}

/* -- the whole bundle as text (dumps) ------------------------------------ */

/* Where the escape points of s[0:n] are; 1 if it holds a NUL byte, -1 for an error. */
static int
scan_nul_and_escapes(const unsigned char *s, Py_ssize_t n, sb_offsets *escapes)
{
    Py_ssize_t i = 0;
    for (;;) {
        i = skip_plain(s, i, n, 1, 0);
        if (i >= n) {
            return 0;
        }
        if (s[i] == 0) {
            return 1;
        }
        if (n - i >= 3 && s[i + 1] == '<' && s[i + 2] == '<') {
            Py_ssize_t point = escape_point(s, i);
            if (point >= 0 && offsets_push(escapes, point) < 0) {
                return -1;
            }
            i += 3;
        }
        else {
            i += 1;
        }
    }
}

/* Append to pieces the str of each piece of the escaped text s[0:n]: 0,
 * or 1 if it is not UTF-8 (pieces is then as it was), or -1 for an error. */
static int
append_text(PyObject *pieces, const char *s, Py_ssize_t n, const sb_offsets *escapes)
{
    Py_ssize_t first = PyList_Size(pieces), last = 0;
    for (Py_ssize_t k = 0; k <= escapes->count; k++) {
        Py_ssize_t point = k < escapes->count ? escapes->items[k] : n;
        /* Each piece starts at a line start, so no character is cut. */
        PyObject *text = PyUnicode_DecodeUTF8(s + last, point - last, NULL);
        if (text == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
                return -1;
            }
            PyErr_Clear();
            return PyList_SetSlice(pieces, first, PyList_Size(pieces), NULL) < 0 ? -1 : 1;
        }
        int failed = PyList_Append(pieces, text);
        Py_DECREF(text);
        if (failed < 0) {
            return -1;
        }
        if (k < escapes->count) {
            PyObject *backslash = PyUnicode_FromStringAndSize("\\", 1);
            if (backslash == NULL || PyList_Append(pieces, backslash) < 0) {
                Py_XDECREF(backslash);
                return -1;
            }
            Py_DECREF(backslash);
        }
        last = point;
    }
    return 0;
}

/* Append the base64 lines of s[0:n] to pieces, as one str. */
static int
append_base64(PyObject *pieces, const unsigned char *s, Py_ssize_t n)
{
    if (n > PY_SSIZE_T_MAX / 2) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t size = b64_encoded_size(n);
    char *buffer = PyMem_Malloc(size ? (size_t)size : 1);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b64_encode_into(s, n, buffer);
    PyObject *text = PyUnicode_DecodeASCII(buffer, size, NULL);
    PyMem_Free(buffer);
    if (text == NULL) {
        return -1;
    }
    int failed = PyList_Append(pieces, text);
    Py_DECREF(text);
    return failed;
}

/* The FILE marker line with its LF, as str: rendered here for a bare ASCII
 * name, else by render(name, base64, noeol, executable, digest). */
static PyObject *
header_text(PyObject *render, PyObject *name, int base64, int noeol, int executable, PyObject *digest)
{
    Py_ssize_t name_size, digest_size = 0;
    const char *bare = ascii_text(name, &name_size);
    const char *hex = NULL;
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (digest != Py_None) {
        hex = ascii_text(digest, &digest_size);
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    if (bare == NULL || !simple_bare_name(bare, name_size) || (digest != Py_None && hex == NULL)) {
        return PyObject_CallFunction(render, "OOOOO", name, base64 ? Py_True : Py_False,
                                     noeol ? Py_True : Py_False, executable ? Py_True : Py_False, digest);
    }
    PyObject *line = render_line(bare, name_size, base64, noeol, executable, hex, digest_size);
    if (line == NULL) {
        return NULL;
    }
    char *chars;
    Py_ssize_t size;
    PyObject *text = NULL;
    if (PyBytes_AsStringAndSize(line, &chars, &size) == 0) {
        text = PyUnicode_DecodeASCII(chars, size, NULL);
    }
    Py_DECREF(line);
    return text;
}

/* Append one entry's pieces; 0, 1 to decline the bundle, or -1 for an error. */
static int
append_entry(PyObject *pieces, PyObject *entry, PyObject *digest, PyObject *render)
{
    int status = -1;
    sb_offsets escapes = {NULL, 0, 0};
    PyObject *name = PyObject_GetAttrString(entry, "name");
    PyObject *data = PyObject_GetAttrString(entry, "data");
    PyObject *executable_object = PyObject_GetAttrString(entry, "executable");
    if (name == NULL || data == NULL || executable_object == NULL) {
        goto done;
    }
    int executable = PyObject_IsTrue(executable_object);
    if (executable < 0) {
        goto done;
    }
    const char *s;
    Py_ssize_t n;
    int kind = get_bytes(data, &s, &n);
    if (kind <= 0) {
        status = kind < 0 ? -1 : 1;
        goto done;
    }
    /* A placeholder for the FILE line, which depends on what the data is. */
    Py_ssize_t slot = PyList_Size(pieces);
    if (PyList_Append(pieces, Py_None) < 0) {
        goto done;
    }
    int binary = scan_nul_and_escapes((const unsigned char *)s, n, &escapes);
    if (binary < 0) {
        goto done;
    }
    if (!binary) {
        binary = append_text(pieces, s, n, &escapes);
        if (binary < 0) {
            goto done;
        }
    }
    int noeol = !binary && n > 0 && s[n - 1] != '\n';
    if (binary && append_base64(pieces, (const unsigned char *)s, n) < 0) {
        goto done;
    }
    if (noeol) {
        PyObject *lf = PyUnicode_FromStringAndSize("\n", 1);
        if (lf == NULL || PyList_Append(pieces, lf) < 0) {
            Py_XDECREF(lf);
            goto done;
        }
        Py_DECREF(lf);
    }
    PyObject *line = header_text(render, name, binary, noeol, executable, digest);
    if (line == NULL || PyList_SetItem(pieces, slot, line) < 0) {
        goto done;
    }
    status = 0;
done:
    PyMem_Free(escapes.items);
    Py_XDECREF(name);
    Py_XDECREF(data);
    Py_XDECREF(executable_object);
    return status;
}

/* dumps_text(comment: str, entries: tuple[Entry, ...], digests: tuple[str, ...] | None,
 *            render: Callable, end: str) -> str | None
 *
 * What dumps returns: the comment block, each entry as encode_entry writes
 * it, and the END line, decoded to str piece by piece and joined. The FILE
 * line of a name that is not bare ASCII comes from render. None to
 * decline: entries that are not a tuple of Entry-like objects with bytes. */
static PyObject *
sb_dumps_text(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *comment, *entries, *digests, *render, *end;
    if (!PyArg_ParseTuple(args, "UOOOU:dumps_text", &comment, &entries, &digests, &render, &end)) {
        return NULL;
    }
    if (!PyTuple_Check(entries) || (digests != Py_None && !PyTuple_Check(digests))) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyTuple_Size(entries);
    if (digests != Py_None && PyTuple_Size(digests) != count) {
        Py_RETURN_NONE;
    }
    PyObject *pieces = PyList_New(0);
    if (pieces == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    if (PyList_Append(pieces, comment) < 0) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *entry = PyTuple_GetItem(entries, k);
        PyObject *digest = digests == Py_None ? Py_None : PyTuple_GetItem(digests, k);
        if (entry == NULL || digest == NULL) {
            goto done;
        }
        int status = append_entry(pieces, entry, digest, render);
        if (status < 0) {
            goto done;
        }
        if (status > 0) {
            Py_INCREF(Py_None);
            result = Py_None;
            goto done;
        }
    }
    if (PyList_Append(pieces, end) < 0) {
        goto done;
    }
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    if (empty != NULL) {
        result = PyUnicode_Join(empty, pieces);
        Py_DECREF(empty);
    }
done:
    Py_DECREF(pieces);
    return result;
}

PyMethodDef sb_write_methods[] = {
    {"text_state", sb_text_state, METH_VARARGS, "Survey.add: -1 once not text, else the UTF-8 state."},
    {"escape", sb_escape, METH_O, "escape_text, or None for what is not bytes."},
    {"encode_entry", sb_encode_entry, METH_VARARGS, "encode_entry's pieces, or None to decline."},
    {"b64encode", sb_b64encode, METH_O, "base64.encodebytes."},
    {"b64decode", sb_b64decode, METH_VARARGS, "Canonical base64 content decoded, or None to decline."},
    {"dumps_text", sb_dumps_text, METH_VARARGS, "What dumps returns, or None to decline."},
    {NULL, NULL, 0, NULL},
};

