/*
 * geoverify._text: text columns in bulk, the compiled half of geoverify.arrowtext.
 *
 * utf8_column(values)
 *     A NumPy object array of str (None or a float NaN for missing) as the buffers of an
 *     Arrow string array: (validity or None, int32 offsets, UTF-8 data, null count). The
 *     same array as pyarrow.array(values, type=pa.string(), from_pandas=True), read without
 *     a Python call per value, and without the GIL when every str is ASCII.
 *
 * csv_records(columns, rows)
 *     CSV records (no header, "\n" after each) of Arrow string columns given by their
 *     buffers: (validity or None, int32 offsets, data, offset). A null is an empty field; a
 *     field holding a comma, a quote, a carriage return or a line feed is quoted, its quotes
 *     doubled. The text is joined without the GIL. A column may also be
 *       (validity or None, offsets, data, offset, neutralise): with neutralise true, a field
 *         a spreadsheet would run as a formula gets a leading "'" (as
 *         geoverify.io.safety.neutralise_formulas: it starts with = + - @ TAB or CR and is
 *         not a plain number such as -12.5 or +1e-5);
 *       (values, decimals): float64 values already rounded to `decimals` (1 to 6) places,
 *         below 1e12 in size, written as fixed_text writes them (NaN: an empty field).
 *
 * hash_strings(column, rows)
 *     A 64-bit hash of each value of an Arrow string column given as in csv_records, as
 *     rows * 8 bytes (native uint64): FNV-1a over the UTF-8 bytes, then the finalizer of
 *     splitmix64 (so that short ids differing in their last byte spread over all 64 bits); a
 *     null hashes as the empty string. geoverify.arrowtext computes the same in NumPy.
 *
 * plain_lines(text, pos, k)
 *     Where the run of at most k whole lines of the str text from pos ends, and how many
 *     lines it holds: lines ended by "\n" or "\r\n" that hold no quote and no other
 *     carriage return (the lines a CSV reader may split at line ends alone). The same as
 *     matching the regular expression (?:[^\r\n"]*\r?\n){1,k} at pos, without the GIL.
 *
 * factorize_objects(values)
 *     Codes (int64 bytes, -1 for None or a float NaN) and the distinct objects of an object
 *     array, by identity, in order of first appearance, without the GIL (pointers are only
 *     compared). A batch's codes and names are a few shared objects repeated, so this is
 *     nearly their factorization by value; geoverify.arrowtext merges equal distinct
 *     objects into one.
 *
 * metres_text(values, unknown)
 *     Distances in metres (float64) as the messages write them, as Arrow string buffers
 *     (offsets, data): "730 m" below 10 km (whole metres, rounded half to even as NumPy
 *     rounds), "12.3 km" from there on (tenths of km, rounded the same way), `unknown` for a
 *     value that is not finite (or beyond 1e15 m, which no distance on Earth is).
 *
 * fixed_text(values, decimals)
 *     Floats that are already rounded to `decimals` (1 to 6) places, below 1e12 in size, as
 *     Python's repr writes them ("278.3", "5.0", "-0.0", "0.125"), as Arrow string buffers
 *     (offsets, data); NaN as "". The caller checks the rounding (for such a float, the
 *     rounded decimal with its trailing zeros dropped is the shortest text that reads back
 *     as it, which is what repr writes).
 *
 * utf8_column raises TypeError or OverflowError on what it does not cover (a value that is
 * neither str nor missing; more than 2 GB of text); the caller then takes the pyarrow route.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* utf8_column */

/* The common case without the GIL: every value None, a float NaN, or an ASCII str. Those
 * objects are immutable and the array holds a reference to each, so their type, length and
 * characters can be read while other threads run; only a str whose UTF-8 form CPython must
 * first make (any other str) needs the GIL. Returns -1 at the first such value. */
static int64_t ascii_sizes(PyObject **items, Py_ssize_t n, int32_t *off, uint8_t *bits,
                           Py_ssize_t *nulls)
{
    int64_t total = 0;
    Py_ssize_t missing = 0;
    off[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i];
        if (v == NULL || v == Py_None
                || (Py_IS_TYPE(v, &PyFloat_Type) && isnan(PyFloat_AS_DOUBLE(v)))) {
            missing++;
        } else if (Py_IS_TYPE(v, &PyUnicode_Type) && PyUnicode_IS_COMPACT_ASCII(v)) {
            total += PyUnicode_GET_LENGTH(v);
            if (total > INT32_MAX)
                return -1;
            bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        } else {
            return -1;
        }
        off[i + 1] = (int32_t)total;
    }
    *nulls = missing;
    return total;
}

/* A C-contiguous object-array buffer of `obj` (NumPy exports it as format "O"); -1 with
 * TypeError otherwise. */
static int object_items(PyObject *obj, Py_buffer *vb, const char *who)
{
    if (PyObject_GetBuffer(obj, vb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (vb->format == NULL || strcmp(vb->format, "O") != 0 || vb->itemsize != sizeof(PyObject *)) {
        PyBuffer_Release(vb);
        PyErr_Format(PyExc_TypeError, "%s: expected an object array", who);
        return -1;
    }
    return 0;
}

static PyObject *utf8_column(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer vb;
    if (object_items(arg, &vb, "utf8_column") < 0)
        return NULL;
    Py_ssize_t n = vb.len / (Py_ssize_t)sizeof(PyObject *);
    PyObject **items = (PyObject **)vb.buf;
    PyObject *offsets = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)sizeof(int32_t));
    PyObject *validity = PyBytes_FromStringAndSize(NULL, (n + 7) / 8);
    PyObject *data = NULL, *result = NULL;
    if (offsets == NULL || validity == NULL)
        goto done;
    int32_t *off = (int32_t *)PyBytes_AS_STRING(offsets);
    uint8_t *bits = (uint8_t *)PyBytes_AS_STRING(validity);
    memset(bits, 0, (size_t)((n + 7) / 8));
    Py_ssize_t nulls = 0;
    int64_t total;
    Py_BEGIN_ALLOW_THREADS
    total = ascii_sizes(items, n, off, bits, &nulls);
    Py_END_ALLOW_THREADS
    int ascii = total >= 0;
    if (!ascii) {
        /* with the GIL: sizes, and the UTF-8 of each str (cached by CPython for the copy) */
        memset(bits, 0, (size_t)((n + 7) / 8));
        total = 0;
        nulls = 0;
        off[0] = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = items[i];
            if (v == NULL || v == Py_None
                    || (PyFloat_Check(v) && isnan(PyFloat_AS_DOUBLE(v)))) {
                nulls++;
            } else if (PyUnicode_Check(v)) {
                Py_ssize_t len;
                if (PyUnicode_AsUTF8AndSize(v, &len) == NULL)
                    goto done;
                total += len;
                if (total > INT32_MAX) {
                    PyErr_SetString(PyExc_OverflowError, "utf8_column: more than 2 GB of text");
                    goto done;
                }
                bits[i >> 3] |= (uint8_t)(1u << (i & 7));
            } else {
                PyErr_Format(PyExc_TypeError, "utf8_column: a %.80s among the text",
                             Py_TYPE(v)->tp_name);
                goto done;
            }
            off[i + 1] = (int32_t)total;
        }
    }
    data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (data == NULL)
        goto done;
    char *out = PyBytes_AS_STRING(data);
    if (ascii) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            if (bits[i >> 3] & (1u << (i & 7)))
                memcpy(out + off[i], PyUnicode_DATA(items[i]), (size_t)(off[i + 1] - off[i]));
        }
        Py_END_ALLOW_THREADS
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            if (bits[i >> 3] & (1u << (i & 7))) {
                Py_ssize_t len;
                const char *s = PyUnicode_AsUTF8AndSize(items[i], &len);
                memcpy(out + off[i], s, (size_t)len);
            }
        }
    }
    if (nulls == 0) {
        result = Py_BuildValue("(OOOn)", Py_None, offsets, data, nulls);
    } else {
        result = Py_BuildValue("(OOOn)", validity, offsets, data, nulls);
    }
done:
    Py_XDECREF(offsets);
    Py_XDECREF(validity);
    Py_XDECREF(data);
    PyBuffer_Release(&vb);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* csv_records */

typedef struct {
    Py_buffer valid, offs, data;
    int has_valid;
    Py_ssize_t offset;
    const uint8_t *bits;
    const int32_t *off;
    const char *text;
    int neutralise;        /* text: a leading "'" on cells a spreadsheet runs as formulas */
    int plain;             /* text: no field of the rows needs quotes (set by csv_records) */
    int decimals;          /* 0: text; 1 to 6: floats in `data`, written with fixed_digits */
    const double *values;
    long long scale;       /* 10 ** decimals */
} Column;

static int put_fixed(char *out, double d, long long scale, int decimals);
static int float_values(PyObject *obj, Py_buffer *vb, const char *who);

/* Whether s[0:len] is a plain number: [+-]? (digits (. digits*)? | . digits) ([eE] [+-]?
 * digits)?, the whole text (the pattern geoverify.io.safety gives Arrow's regular
 * expressions). */
static int plain_number(const char *s, int32_t len)
{
    int32_t k = 0;
    if (k < len && (s[k] == '+' || s[k] == '-'))
        k++;
    int32_t before = k;
    while (k < len && s[k] >= '0' && s[k] <= '9')
        k++;
    int whole = k > before;
    if (k < len && s[k] == '.') {
        k++;
        int32_t after = k;
        while (k < len && s[k] >= '0' && s[k] <= '9')
            k++;
        if (!whole && k == after)
            return 0;
    } else if (!whole) {
        return 0;
    }
    if (k < len && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < len && (s[k] == '+' || s[k] == '-'))
            k++;
        int32_t exp = k;
        while (k < len && s[k] >= '0' && s[k] <= '9')
            k++;
        if (k == exp)
            return 0;
    }
    return k == len;
}

/* Whether a spreadsheet would run the cell as a formula (and it needs a leading "'"). */
static int formula_cell(const char *s, int32_t len)
{
    if (len == 0)
        return 0;
    char c = s[0];
    if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r')
        return 0;
    return !plain_number(s, len);
}

static int needs_quotes(const char *s, int32_t len)
{
    for (int32_t k = 0; k < len; k++) {
        char c = s[k];
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            return 1;
    }
    return 0;
}

/* The quotes in s[0:len] (a message is long and rarely holds one: memchr, not a byte loop). */
static int64_t count_quotes(const char *s, int32_t len)
{
    int64_t count = 0;
    const char *end = s + len;
    while (s < end && (s = memchr(s, '"', (size_t)(end - s))) != NULL) {
        count++;
        s++;
    }
    return count;
}

/* s[0:len] written at out with each quote doubled; returns the end of what was written. */
static char *put_doubled(char *out, const char *s, int32_t len)
{
    const char *end = s + len;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        size_t k = q == NULL ? (size_t)(end - s) : (size_t)(q - s) + 1;
        memcpy(out, s, k);
        out += k;
        if (q == NULL)
            break;
        *out++ = '"';
        s = q + 1;
    }
    return out;
}

static void release_column(Column *c)
{
    if (c->has_valid)
        PyBuffer_Release(&c->valid);
    if (!c->decimals)
        PyBuffer_Release(&c->offs);
    PyBuffer_Release(&c->data);
}

static void release_columns(Column *cols, Py_ssize_t k)
{
    for (Py_ssize_t j = 0; j < k; j++)
        release_column(&cols[j]);
}

/* Take the buffers of a column spec (see csv_records: (validity or None, offsets, data,
 * offset), the same with a neutralise flag, or (float64 values, decimals)) and check that
 * every one of `rows` rows has its offsets, its validity bit and its text in reach. On failure
 * nothing is held and an exception is set (`who` names the function). */
static int open_column(Column *c, PyObject *spec, Py_ssize_t rows, const char *who)
{
    PyObject *v, *o, *d;
    Py_ssize_t offset;
    memset(c, 0, sizeof *c);
    if (PyTuple_Check(spec) && PyTuple_GET_SIZE(spec) == 2) {
        int decimals;
        if (!PyArg_ParseTuple(spec, "Oi", &d, &decimals))
            return -1;
        if (decimals < 1 || decimals > 6) {
            PyErr_Format(PyExc_ValueError, "%s: decimals from 1 to 6", who);
            return -1;
        }
        if (float_values(d, &c->data, who) < 0)
            return -1;
        c->values = (const double *)c->data.buf;
        int bad = rows < 0 || c->data.len < rows * (Py_ssize_t)sizeof(double);
        for (Py_ssize_t i = 0; !bad && i < rows; i++)
            bad = !isnan(c->values[i]) && !(fabs(c->values[i]) < 1e12);
        if (bad) {
            PyBuffer_Release(&c->data);
            PyErr_Format(PyExc_ValueError, "%s: fewer values than rows, or one beyond 1e12",
                         who);
            return -1;
        }
        c->decimals = decimals;
        c->scale = 1;
        for (int k = 0; k < decimals; k++)
            c->scale *= 10;
        return 0;
    }
    int neutralise = 0;
    if (PyTuple_Check(spec) && PyTuple_GET_SIZE(spec) == 5) {
        if (!PyArg_ParseTuple(spec, "OOOnp", &v, &o, &d, &offset, &neutralise))
            return -1;
    } else if (!PyArg_ParseTuple(spec, "OOOn", &v, &o, &d, &offset)) {
        return -1;
    }
    c->neutralise = neutralise;
    if (PyObject_GetBuffer(o, &c->offs, PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (PyObject_GetBuffer(d, &c->data, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&c->offs);
        return -1;
    }
    c->has_valid = v != Py_None;
    if (c->has_valid && PyObject_GetBuffer(v, &c->valid, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&c->offs);
        PyBuffer_Release(&c->data);
        return -1;
    }
    c->offset = offset;
    c->off = (const int32_t *)c->offs.buf;
    c->text = (const char *)c->data.buf;
    c->bits = c->has_valid ? (const uint8_t *)c->valid.buf : NULL;
    int bad = offset < 0 || rows < 0
              || c->offs.len < (offset + rows + 1) * (Py_ssize_t)sizeof(int32_t)
              || (c->has_valid && c->valid.len * 8 < offset + rows);
    for (Py_ssize_t i = 0; !bad && i < rows; i++) {
        int32_t a = c->off[offset + i], b = c->off[offset + i + 1];
        bad = a < 0 || b < a || (Py_ssize_t)b > c->data.len;
    }
    if (bad) {
        release_column(c);
        PyErr_Format(PyExc_ValueError, "%s: buffers shorter than the rows", who);
        return -1;
    }
    return 0;
}

/* Longest text of a float column's field (sign, 12 digits, point, 6 decimals). */
#define FIXED_WIDTH 24

static PyObject *csv_records(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *spec, *into = NULL;
    Py_ssize_t rows;
    if (!PyArg_ParseTuple(args, "On|O", &spec, &rows, &into))
        return NULL;
    if (into == Py_None)
        into = NULL;
    if (into != NULL && !PyByteArray_CheckExact(into)) {
        PyErr_SetString(PyExc_TypeError, "csv_records: into must be a bytearray");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(spec, "csv_records: expected a sequence of columns");
    if (seq == NULL)
        return NULL;
    Py_ssize_t ncol = PySequence_Fast_GET_SIZE(seq);
    if (ncol == 0 || rows < 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "csv_records: no columns");
        return NULL;
    }
    Column *cols = (Column *)PyMem_Calloc((size_t)ncol, sizeof(Column));
    if (cols == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    Py_ssize_t ready = 0;
    PyObject *result = NULL;
    for (; ready < ncol; ready++) {
        if (open_column(&cols[ready], PySequence_Fast_GET_ITEM(seq, ready), rows,
                        "csv_records") < 0)
            goto fail;
    }
    /* first pass: the size */
    int64_t size = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < ncol; j++) {
        const Column *c = &cols[j];
        if (c->decimals) {  /* at most: the bytes are counted as they are written */
            size += (int64_t)rows * FIXED_WIDTH;
            continue;
        }
        /* most columns hold no character that needs quotes: one scan of their text says
         * so, and without nulls (whose slots may hold text) their size is their text's */
        int32_t first = c->off[c->offset], last = c->off[c->offset + rows];
        Column *w = &cols[j];
        w->plain = !needs_quotes(c->text + first, last - first);
        if (w->plain && !c->neutralise && !c->bits) {
            size += last - first;
            continue;
        }
        for (Py_ssize_t i = 0; i < rows; i++) {
            Py_ssize_t at = c->offset + i;
            if (c->bits && !(c->bits[at >> 3] & (1u << (at & 7))))
                continue;
            const char *s = c->text + c->off[at];
            int32_t len = c->off[at + 1] - c->off[at];
            if (!c->plain && needs_quotes(s, len)) {
                size += 2 + len + count_quotes(s, len);
            } else {
                size += len;
            }
            if (c->neutralise && formula_cell(s, len))
                size += 1;
        }
    }
    Py_END_ALLOW_THREADS
    size += (int64_t)rows * ncol;  /* a comma or a line end after each field */
    if (size > PY_SSIZE_T_MAX) {
        PyErr_SetString(PyExc_OverflowError, "csv_records: too much text");
        goto fail;
    }
    char *begin;
    if (into != NULL) {
        /* the caller's buffer, grown when too small (it is reused batch after batch, so
         * its pages are not taken fresh from the system every time) */
        if (PyByteArray_GET_SIZE(into) < (Py_ssize_t)size
                && PyByteArray_Resize(into, (Py_ssize_t)size) < 0)
            goto fail;
        begin = PyByteArray_AS_STRING(into);
    } else {
        result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
        if (result == NULL)
            goto fail;
        begin = PyBytes_AS_STRING(result);
    }
    char *out = begin;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        for (Py_ssize_t j = 0; j < ncol; j++) {
            const Column *c = &cols[j];
            Py_ssize_t at = c->offset + i;
            if (c->decimals) {
                if (!isnan(c->values[i]))
                    out += put_fixed(out, c->values[i], c->scale, c->decimals);
            } else if (!c->bits || (c->bits[at >> 3] & (1u << (at & 7)))) {
                const char *s = c->text + c->off[at];
                int32_t len = c->off[at + 1] - c->off[at];
                int quote = c->neutralise && formula_cell(s, len);
                if (!c->plain && needs_quotes(s, len)) {
                    *out++ = '"';
                    if (quote)
                        *out++ = '\'';
                    out = put_doubled(out, s, len);
                    *out++ = '"';
                } else {
                    if (quote)
                        *out++ = '\'';
                    memcpy(out, s, (size_t)len);
                    out += len;
                }
            }
            *out++ = j + 1 < ncol ? ',' : '\n';
        }
    }
    Py_END_ALLOW_THREADS
    if (into != NULL) {
        result = PyLong_FromSsize_t(out - begin);  /* the bytes written at its start */
        if (result == NULL)
            goto fail;
    } else if (out - begin != (Py_ssize_t)size && _PyBytes_Resize(&result, out - begin) < 0) {
        goto fail;  /* result was freed */
    }
    release_columns(cols, ncol);
    PyMem_Free(cols);
    Py_DECREF(seq);
    return result;
fail:
    release_columns(cols, ready);
    PyMem_Free(cols);
    Py_DECREF(seq);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* hash_strings */

/* The (column, rows) arguments of a one-column function, the column opened for `rows` rows;
 * -1 with an exception set (nothing held) otherwise. */
static int column_args(PyObject *args, Column *c, Py_ssize_t *rows, const char *who)
{
    PyObject *column;
    if (!PyArg_ParseTuple(args, "On", &column, rows))
        return -1;
    if (*rows < 0) {
        PyErr_Format(PyExc_ValueError, "%s: rows < 0", who);
        return -1;
    }
    return open_column(c, column, *rows, who);
}

static PyObject *hash_strings(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *result;
    Py_ssize_t rows;
    Column c;
    if (column_args(args, &c, &rows, "hash_strings") < 0)
        return NULL;
    Py_ssize_t offset = c.offset;
    result = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(uint64_t));
    if (result != NULL) {
        uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < rows; i++) {
            Py_ssize_t at = offset + i;
            uint64_t h = 0xcbf29ce484222325ULL;
            if (!c.bits || (c.bits[at >> 3] & (1u << (at & 7)))) {
                const unsigned char *p = (const unsigned char *)c.text + c.off[at];
                int32_t len = c.off[at + 1] - c.off[at];
                for (int32_t k = 0; k < len; k++)
                    h = (h ^ p[k]) * 0x100000001b3ULL;
            }
            h ^= h >> 30;
            h *= 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 27;
            h *= 0x94d049bb133111ebULL;
            h ^= h >> 31;
            out[i] = h;
        }
        Py_END_ALLOW_THREADS
    }
    release_column(&c);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* plain_decimals */

/* Powers of ten a double holds exactly. */
static const double EXACT_TENS[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The digits of s from k on (where they end is returned), appended to m; significant counts
 * them from the first that is not a leading zero (m stops growing past 18 of them). */
static int32_t digit_run(const char *s, int32_t k, int32_t len, int64_t *m, int *significant)
{
    for (; k < len && s[k] >= '0' && s[k] <= '9'; k++) {
        if (*m || s[k] != '0') {
            if (*significant < 18)
                *m = *m * 10 + (s[k] - '0');
            (*significant)++;
        }
    }
    return k;
}

/* One cell: 0 when it is not a plain decimal, else its value and decimals, 1 when the value
 * is exact here, 2 when it is not (more than 15 significant digits or 22 decimals). A plain
 * decimal is [+-]? (digits (. digits*)? | . digits), or [+-]? digits , digits, the whole
 * text. With at most 15 significant digits (below 2 ** 53) and 22 decimals, both the digits
 * and the power of ten are exact doubles, so their quotient is the correctly rounded value
 * that any correct decimal reader gives. */
static int plain_decimal(const char *s, int32_t len, double *value, int64_t *decimals)
{
    int32_t k = 0;
    int negative = 0;
    if (k < len && (s[k] == '+' || s[k] == '-'))
        negative = s[k++] == '-';
    int64_t m = 0;
    int significant = 0, frac = 0;
    int32_t from = k;
    k = digit_run(s, k, len, &m, &significant);
    int whole = k - from;
    if (k < len && (s[k] == '.' || s[k] == ',')) {
        int comma = s[k] == ',';
        if (comma && !whole)
            return 0;
        from = ++k;
        k = digit_run(s, k, len, &m, &significant);
        frac = k - from;
        if (comma ? !frac : !(whole || frac))
            return 0;
    } else if (!whole) {
        return 0;
    }
    if (k != len)
        return 0;
    *decimals = frac;
    if (significant > 15 || frac > 22) {
        *value = NAN;
        return 2;
    }
    double v = (double)m / EXACT_TENS[frac];
    *value = negative ? -v : v;
    return 1;
}

static PyObject *plain_decimals(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *values = NULL, *decimals = NULL, *state = NULL;
    Py_ssize_t rows;
    Column c;
    if (column_args(args, &c, &rows, "plain_decimals") < 0)
        return NULL;
    values = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(double));
    decimals = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(int64_t));
    state = PyBytes_FromStringAndSize(NULL, rows);
    if (values == NULL || decimals == NULL || state == NULL) {
        Py_XDECREF(values);
        Py_XDECREF(decimals);
        Py_XDECREF(state);
        release_column(&c);
        return NULL;
    }
    double *v = (double *)PyBytes_AS_STRING(values);
    int64_t *d = (int64_t *)PyBytes_AS_STRING(decimals);
    uint8_t *st = (uint8_t *)PyBytes_AS_STRING(state);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        Py_ssize_t at = c.offset + i;
        v[i] = NAN;
        d[i] = -1;
        st[i] = 0;
        if (c.bits && !(c.bits[at >> 3] & (1u << (at & 7))))
            continue;
        st[i] = (uint8_t)plain_decimal(c.text + c.off[at], c.off[at + 1] - c.off[at], &v[i],
                                       &d[i]);
    }
    Py_END_ALLOW_THREADS
    release_column(&c);
    return Py_BuildValue("(NNN)", values, decimals, state);
}

/* ------------------------------------------------------------------------------------------ */
/* plain_lines */

#define PLAIN_SCAN(TYPE)                                                                   \
    {                                                                                      \
        const TYPE *t = (const TYPE *)data;                                                \
        while (count < k && i < n) {                                                       \
            Py_ssize_t j = i;                                                              \
            int whole = 0;                                                                 \
            while (j < n) {                                                                \
                TYPE c = t[j];                                                             \
                if (c == '\n') {                                                           \
                    whole = 1;                                                             \
                    j++;                                                                   \
                    break;                                                                 \
                }                                                                          \
                if (c == '"')                                                              \
                    break;                                                                 \
                if (c == '\r') {                                                           \
                    if (j + 1 < n && t[j + 1] == '\n') {                                   \
                        whole = 1;                                                         \
                        j += 2;                                                            \
                    }                                                                      \
                    break;                                                                 \
                }                                                                          \
                j++;                                                                       \
            }                                                                              \
            if (!whole)                                                                    \
                break;                                                                     \
            i = j;                                                                         \
            count++;                                                                       \
        }                                                                                  \
    }

static PyObject *plain_lines(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text;
    Py_ssize_t pos, k;
    if (!PyArg_ParseTuple(args, "Unn", &text, &pos, &k))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (pos < 0 || pos > n) {
        PyErr_SetString(PyExc_ValueError, "plain_lines: pos out of the text");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t i = pos, count = 0;
    Py_BEGIN_ALLOW_THREADS
    if (kind == PyUnicode_1BYTE_KIND)
        PLAIN_SCAN(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        PLAIN_SCAN(Py_UCS2)
    else
        PLAIN_SCAN(Py_UCS4)
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(nn)", i, count);
}

/* ------------------------------------------------------------------------------------------ */
/* factorize_objects */

static PyObject *factorize_objects(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer vb;
    if (object_items(arg, &vb, "factorize_objects") < 0)
        return NULL;
    Py_ssize_t n = vb.len / (Py_ssize_t)sizeof(PyObject *);
    PyObject **items = (PyObject **)vb.buf;
    PyObject *codes = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (codes == NULL) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    int64_t *code = (int64_t *)PyBytes_AS_STRING(codes);
    size_t cap = 64, count = 0, ucap = 16;
    PyObject **keys = (PyObject **)calloc(cap, sizeof(PyObject *));
    int64_t *vals = (int64_t *)malloc(cap * sizeof(int64_t));
    PyObject **uniq = (PyObject **)malloc(ucap * sizeof(PyObject *));
    int failed = keys == NULL || vals == NULL || uniq == NULL;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n && !failed; i++) {
        PyObject *v = items[i];
        if (v == NULL || v == Py_None
                || (Py_IS_TYPE(v, &PyFloat_Type) && isnan(PyFloat_AS_DOUBLE(v)))) {
            code[i] = -1;
            continue;
        }
        size_t mask = cap - 1, h = ((uintptr_t)v >> 4) * 0x9E3779B97F4A7C15ULL;
        size_t at = (h >> 17) & mask;
        while (keys[at] != NULL && keys[at] != v)
            at = (at + 1) & mask;
        if (keys[at] == v) {
            code[i] = vals[at];
            continue;
        }
        if (count == ucap) {
            PyObject **grown = (PyObject **)realloc(uniq, 2 * ucap * sizeof(PyObject *));
            if (grown == NULL) {
                failed = 1;
                break;
            }
            uniq = grown;
            ucap *= 2;
        }
        uniq[count] = v;
        keys[at] = v;
        vals[at] = (int64_t)count;
        code[i] = (int64_t)count;
        count++;
        if (2 * count > cap) {  /* grow the table: re-insert every distinct object */
            size_t ncap = cap * 2;
            PyObject **nk = (PyObject **)calloc(ncap, sizeof(PyObject *));
            int64_t *nv = (int64_t *)malloc(ncap * sizeof(int64_t));
            if (nk == NULL || nv == NULL) {
                free(nk);
                free(nv);
                failed = 1;
                break;
            }
            for (size_t u = 0; u < count; u++) {
                size_t hh = ((uintptr_t)uniq[u] >> 4) * 0x9E3779B97F4A7C15ULL;
                size_t p = (hh >> 17) & (ncap - 1);
                while (nk[p] != NULL)
                    p = (p + 1) & (ncap - 1);
                nk[p] = uniq[u];
                nv[p] = (int64_t)u;
            }
            free(keys);
            free(vals);
            keys = nk;
            vals = nv;
            cap = ncap;
        }
    }
    Py_END_ALLOW_THREADS
    PyObject *list = NULL, *result = NULL;
    if (failed) {
        PyErr_NoMemory();
    } else if ((list = PyList_New((Py_ssize_t)count)) != NULL) {
        for (size_t u = 0; u < count; u++) {
            Py_INCREF(uniq[u]);
            PyList_SET_ITEM(list, (Py_ssize_t)u, uniq[u]);
        }
        result = PyTuple_Pack(2, codes, list);
    }
    free(keys);
    free(vals);
    free(uniq);
    Py_XDECREF(list);
    Py_DECREF(codes);
    PyBuffer_Release(&vb);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* metres_text */

/* The decimal digits of x at out (a minus sign first if negative); returns their count. */
static int put_int(char *out, long long x)
{
    char tmp[24];
    int k = 0, len = 0;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        out[len++] = '-';
    while (k)
        out[len++] = tmp[--k];
    return len;
}

/* A float already rounded to `decimals` places (scale = 10 ** decimals, |d| < 1e12) as repr
 * writes it: the rounded decimal without its trailing zeros, one decimal kept ("5.0",
 * "-0.0", "0.125"). Returns the bytes written (at most FIXED_WIDTH). */
static int put_fixed(char *out, double d, long long scale, int decimals)
{
    int len = 0;
    long long k = (long long)rint(d * (double)scale);
    unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
    if (signbit(d))
        out[len++] = '-';
    len += put_int(out + len, (long long)(u / (unsigned long long)scale));
    out[len++] = '.';
    unsigned long long frac = u % (unsigned long long)scale;
    int digits = decimals;
    while (digits > 1 && frac % 10 == 0) {  /* trailing zeros, one digit kept */
        frac /= 10;
        digits--;
    }
    for (int p = digits - 1; p >= 0; p--) {
        out[len + p] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return len + digits;
}

/* A C-contiguous float64 buffer of `obj`; -1 with TypeError otherwise. */
static int float_values(PyObject *obj, Py_buffer *vb, const char *who)
{
    if (PyObject_GetBuffer(obj, vb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (vb->itemsize != sizeof(double) || vb->format == NULL || strcmp(vb->format, "d") != 0) {
        PyBuffer_Release(vb);
        PyErr_Format(PyExc_TypeError, "%s: expected float64 values", who);
        return -1;
    }
    return 0;
}

/* join_texts(parts, rows): the element-wise concatenation of `parts`, each either bytes (the
 * same text on every row) or a string column spec (validity or None, offsets, data, offset),
 * as pyarrow's binary_join_element_wise(..., "") gives it: a row is null when any of its
 * columns is. Returns (validity bytes or None, offsets, data, null count). One pass sizes,
 * one writes: none of the intermediate arrays that joining two parts at a time makes. */
static PyObject *join_texts(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *spec;
    Py_ssize_t rows;
    if (!PyArg_ParseTuple(args, "On", &spec, &rows))
        return NULL;
    PyObject *seq = PySequence_Fast(spec, "join_texts: expected a sequence of parts");
    if (seq == NULL)
        return NULL;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (rows < 0 || rows >= INT32_MAX) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "join_texts: bad row count");
        return NULL;
    }
    size_t slots = (size_t)(k ? k : 1);
    Column *cols = (Column *)PyMem_Calloc(slots, sizeof(Column));
    Py_buffer *consts = (Py_buffer *)PyMem_Calloc(slots, sizeof(Py_buffer));
    char *is_const = (char *)PyMem_Calloc(slots, 1);
    PyObject *result = NULL, *valid = NULL, *offsets = NULL, *data = NULL;
    Py_ssize_t ready = 0;
    if (cols == NULL || consts == NULL || is_const == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; ready < k; ready++) {
        PyObject *part = PySequence_Fast_GET_ITEM(seq, ready);
        if (PyBytes_Check(part)) {
            if (PyObject_GetBuffer(part, &consts[ready], PyBUF_SIMPLE) < 0)
                goto done;
            is_const[ready] = 1;
            continue;
        }
        if (!PyTuple_Check(part) || PyTuple_GET_SIZE(part) != 4) {
            PyErr_SetString(PyExc_TypeError, "join_texts: parts are bytes or column specs");
            goto done;
        }
        if (open_column(&cols[ready], part, rows, "join_texts") < 0)
            goto done;
    }
    Py_ssize_t vbytes = (rows + 7) / 8;
    offsets = PyBytes_FromStringAndSize(NULL, (rows + 1) * (Py_ssize_t)sizeof(int32_t));
    valid = PyBytes_FromStringAndSize(NULL, vbytes ? vbytes : 1);
    if (offsets == NULL || valid == NULL)
        goto done;
    int32_t *off = (int32_t *)PyBytes_AS_STRING(offsets);
    uint8_t *vb = (uint8_t *)PyBytes_AS_STRING(valid);
    memset(vb, 0, (size_t)(vbytes ? vbytes : 1));
    int64_t size = 0;
    Py_ssize_t nulls = 0;
    int too_long = 0;
    Py_BEGIN_ALLOW_THREADS
    off[0] = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        int64_t len = 0;
        int null = 0;
        for (Py_ssize_t j = 0; j < k && !null; j++) {
            if (is_const[j]) {
                len += consts[j].len;
                continue;
            }
            const Column *c = &cols[j];
            Py_ssize_t at = c->offset + i;
            if (c->bits && !(c->bits[at >> 3] & (1u << (at & 7))))
                null = 1;
            else
                len += c->off[at + 1] - c->off[at];
        }
        if (null) {
            nulls++;
        } else {
            vb[i >> 3] |= (uint8_t)(1u << (i & 7));
            size += len;
        }
        if (size > INT32_MAX) {
            too_long = 1;
            break;
        }
        off[i + 1] = (int32_t)size;
    }
    Py_END_ALLOW_THREADS
    if (too_long) {
        PyErr_SetString(PyExc_OverflowError, "join_texts: more than 2 GB of text");
        goto done;
    }
    data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(size ? size : 1));
    if (data == NULL)
        goto done;
    char *out = PyBytes_AS_STRING(data);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; i++) {
        if (!(vb[i >> 3] & (1u << (i & 7))))
            continue;
        char *w = out + off[i];
        for (Py_ssize_t j = 0; j < k; j++) {
            if (is_const[j]) {
                memcpy(w, consts[j].buf, (size_t)consts[j].len);
                w += consts[j].len;
            } else {
                const Column *c = &cols[j];
                Py_ssize_t at = c->offset + i;
                int32_t a = c->off[at], b = c->off[at + 1];
                memcpy(w, c->text + a, (size_t)(b - a));
                w += b - a;
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(OOOn)", nulls ? valid : Py_None, offsets, data, nulls);
done:
    for (Py_ssize_t j = 0; j < ready; j++) {
        if (is_const[j])
            PyBuffer_Release(&consts[j]);
        else
            release_column(&cols[j]);
    }
    PyMem_Free(cols);
    PyMem_Free(consts);
    PyMem_Free(is_const);
    Py_XDECREF(valid);
    Py_XDECREF(offsets);
    Py_XDECREF(data);
    Py_DECREF(seq);
    return result;
}

/* Text of n values of at most `width` bytes each, written into `text` with offsets `off`. */
typedef struct {
    PyObject *offsets;
    int32_t *off;
    char *text;
} TextOut;

static int text_begin(TextOut *t, Py_ssize_t n, size_t width, const char *who)
{
    t->offsets = NULL;
    t->text = NULL;
    if (n > 0 && (size_t)n > (size_t)INT32_MAX / width) {
        PyErr_Format(PyExc_OverflowError, "%s: too many values", who);
        return -1;
    }
    t->offsets = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)sizeof(int32_t));
    if (t->offsets == NULL)
        return -1;
    t->text = (char *)malloc(width * (size_t)(n ? n : 1));
    if (t->text == NULL) {
        Py_CLEAR(t->offsets);
        PyErr_NoMemory();
        return -1;
    }
    t->off = (int32_t *)PyBytes_AS_STRING(t->offsets);
    t->off[0] = 0;
    return 0;
}

/* (offsets, data) of the `length` bytes written; frees what text_begin took. */
static PyObject *text_end(TextOut *t, int32_t length)
{
    PyObject *data = PyBytes_FromStringAndSize(t->text, length), *result = NULL;
    if (data != NULL)
        result = PyTuple_Pack(2, t->offsets, data);
    free(t->text);
    Py_XDECREF(data);
    Py_DECREF(t->offsets);
    return result;
}

static PyObject *metres_text(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *vobj;
    const char *unknown;
    Py_ssize_t ulen;
    if (!PyArg_ParseTuple(args, "Os#", &vobj, &unknown, &ulen))
        return NULL;
    Py_buffer vb;
    if (float_values(vobj, &vb, "metres_text") < 0)
        return NULL;
    Py_ssize_t n = vb.len / (Py_ssize_t)sizeof(double);
    const double *v = (const double *)vb.buf;
    TextOut t;
    if (text_begin(&t, n, (size_t)(ulen > 40 ? ulen : 40), "metres_text") < 0) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    int32_t at = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        double d = v[i];
        char *out = t.text + at;
        int len;
        if (!isfinite(d) || fabs(d) >= 1e15) {
            memcpy(out, unknown, (size_t)ulen);
            len = (int)ulen;
        } else if (d < 10000.0) {
            len = put_int(out, (long long)rint(d));
            memcpy(out + len, " m", 2);
            len += 2;
        } else {
            long long tenths = (long long)rint(d / 100.0);
            len = put_int(out, tenths / 10);
            out[len++] = '.';
            out[len++] = (char)('0' + tenths % 10);
            memcpy(out + len, " km", 3);
            len += 3;
        }
        at += len;
        t.off[i + 1] = at;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&vb);
    return text_end(&t, at);
}

static PyObject *fixed_text(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *vobj;
    int decimals;
    if (!PyArg_ParseTuple(args, "Oi", &vobj, &decimals))
        return NULL;
    if (decimals < 1 || decimals > 6) {
        PyErr_SetString(PyExc_ValueError, "fixed_text: decimals from 1 to 6");
        return NULL;
    }
    Py_buffer vb;
    if (float_values(vobj, &vb, "fixed_text") < 0)
        return NULL;
    Py_ssize_t n = vb.len / (Py_ssize_t)sizeof(double);
    const double *v = (const double *)vb.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!isnan(v[i]) && !(fabs(v[i]) < 1e12)) {
            PyBuffer_Release(&vb);
            PyErr_SetString(PyExc_ValueError, "fixed_text: a value beyond 1e12");
            return NULL;
        }
    }
    long long scale = 1;
    for (int k = 0; k < decimals; k++)
        scale *= 10;
    TextOut t;
    if (text_begin(&t, n, 32, "fixed_text") < 0) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    int32_t at = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        double d = v[i];
        char *out = t.text + at;
        int len = 0;
        if (!isnan(d))
            len = put_fixed(out, d, scale, decimals);
        at += len;
        t.off[i + 1] = at;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&vb);
    return text_end(&t, at);
}

static PyMethodDef methods[] = {
    {"fixed_text", fixed_text, METH_VARARGS,
     "fixed_text(values, decimals)\n--\n\nRounded floats as repr writes them: Arrow string "
     "buffers (offsets, data); NaN as an empty string."},
    {"metres_text", metres_text, METH_VARARGS,
     "metres_text(values, unknown)\n--\n\nDistances in metres as message text: Arrow "
     "string buffers (offsets, data)."},
    {"factorize_objects", factorize_objects, METH_O,
     "factorize_objects(values)\n--\n\nCodes (int64 bytes; -1 for None or NaN) and distinct "
     "objects, by identity, of an object array."},
    {"plain_decimals", plain_decimals, METH_VARARGS,
     "plain_decimals(column, rows)\n--\n\nThe plain decimal numbers (12.5, -7, .5, 50,43) of an "
     "Arrow string column given as a (validity or None, offsets, data, offset) tuple: values "
     "(float64 bytes; NaN where not read here), decimals (int64 bytes; -1 where not plain) "
     "and a state per row (0 not plain, 1 read, 2 plain but too long to read exactly here)."},
    {"plain_lines", plain_lines, METH_VARARGS,
     "plain_lines(text, pos, k)\n--\n\nEnd and count of the run of at most k whole lines "
     "without quotes or lone carriage returns from pos."},
    {"hash_strings", hash_strings, METH_VARARGS,
     "hash_strings(column, rows)\n--\n\n64-bit hashes (rows * 8 bytes) of an Arrow string "
     "column given as a (validity or None, offsets, data, offset) tuple."},
    {"utf8_column", utf8_column, METH_O,
     "utf8_column(values)\n--\n\nAn object array of str (None or NaN for missing) as the "
     "buffers of an Arrow string array: (validity or None, offsets, data, null count)."},
    {"join_texts", join_texts, METH_VARARGS,
     "join_texts(parts, rows)\n--\n\nElement-wise concatenation of bytes and Arrow string "
     "columns: (validity or None, offsets, data, null count)."},
    {"csv_records", csv_records, METH_VARARGS,
     "csv_records(columns, rows, into=None)\n--\n\nCSV records of Arrow string columns "
     "given as (validity or None, offsets, data, offset) tuples: bytes, or written at the "
     "start of the bytearray `into` (grown if too small) and their length."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef text_module = {
    PyModuleDef_HEAD_INIT, "_text",
    "Text columns in bulk (compiled half of geoverify.arrowtext).", -1, methods,
};

PyMODINIT_FUNC PyInit__text(void)
{
    return PyModule_Create(&text_module);
}
