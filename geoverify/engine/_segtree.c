/*
 * geoverify.engine._segtree: exact nearest-segment queries in one pass, without the GIL.
 *
 * The compiled half of geoverify.engine.lines.VertexTree (that module's docstring gives the
 * geometry; its NumPy code is the reference this file must agree with, and the fallback
 * where this extension is not built).
 *
 * A SegTree is built from the Earth-centred vertices (x, y, z metres) of densified line
 * pieces, vertex i joined to vertex i + 1 where has_next[i] is set. Its items are segments
 * (a vertex joined to neither neighbour is a segment of length 0), each stored with both of
 * its end points in tree order, so that a leaf is one contiguous run of memory. The tree
 * splits at the median of the segments' midpoints along the widest axis; each node's box
 * holds every end point of its segments, hence every point of them (a box is convex). The
 * box's distance from P is therefore a lower bound on the distance of its segments, and the
 * search, depth first and nearer child first, skips every box farther than the best segment
 * found so far: the answer is exact. With a bound b, the search starts from d = b and finds
 * only segments within b.
 *
 * The arithmetic of a segment's distance follows the NumPy reference operation by operation
 * (compiled without contraction into fused multiply-adds), so both give the same bits. Equal
 * distances go to the lowest segment number, whatever order the search meets them in.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#define LEAF 8

typedef struct {
    double lo[3], hi[3];
    int32_t start, end;   /* the node's segments: items start to end - 1 */
    int32_t left, right;  /* children; -1 for a leaf */
} Node;

typedef struct {
    double a[3], e[3];    /* start and end vertex */
} Seg;

typedef struct {
    PyObject_HEAD
    int32_t n;            /* segments */
    Seg *segs;            /* in tree order */
    int32_t *start;       /* each item's start vertex (the segment's number) */
    Node *nodes;          /* in preorder: a node's children come after it */
    int32_t n_nodes, cap_nodes;
} SegTree;

/* ------------------------------------------------------------------------------------------ */
/* building */

/* A segment while the tree is built: its midpoint (in single precision: it only chooses
 * where to split, and every box is made from the exact end points afterwards) and its start
 * vertex. Sixteen bytes, so the selections move little memory. */
typedef struct {
    float m[3];
    int32_t v;
} Item;

typedef struct {
    Item *items;
    Node *nodes;
    int32_t n_nodes, cap_nodes;
} Builder;

static int32_t new_node(Builder *b, int32_t start, int32_t end)
{
    if (b->n_nodes == b->cap_nodes) {
        int32_t cap = b->cap_nodes ? b->cap_nodes * 2 : 64;
        Node *grown = (Node *)realloc(b->nodes, (size_t)cap * sizeof(Node));
        if (grown == NULL)
            return -1;
        b->nodes = grown;
        b->cap_nodes = cap;
    }
    Node *nd = &b->nodes[b->n_nodes];
    nd->start = start;
    nd->end = end;
    nd->left = nd->right = -1;
    return b->n_nodes++;
}

/* Reorder items lo to hi - 1 so that item k has the midpoint of rank k along axis `dim`. */
static void select_kth(Item *items, int32_t lo, int32_t hi, int32_t k, int dim)
{
    hi -= 1;
    while (hi > lo) {
        float pivot = items[lo + (hi - lo) / 2].m[dim];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (items[i].m[dim] < pivot) i++;
            while (items[j].m[dim] > pivot) j--;
            if (i <= j) {
                Item x = items[i];
                items[i] = items[j];
                items[j] = x;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* Split items start to end - 1 at the median midpoint along their widest axis: the place of
 * the split, or -1 for a leaf (few items, or every midpoint at one place). */
static int32_t split(Item *items, int32_t start, int32_t end)
{
    if (end - start <= LEAF)
        return -1;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int32_t i = start; i < end; i++) {
        for (int d = 0; d < 3; d++) {
            float m = items[i].m[d];
            if (m < lo[d]) lo[d] = m;
            if (m > hi[d]) hi[d] = m;
        }
    }
    int dim = 0;
    float widest = hi[0] - lo[0];
    for (int d = 1; d < 3; d++) {
        if (hi[d] - lo[d] > widest) {
            widest = hi[d] - lo[d];
            dim = d;
        }
    }
    if (!(widest > 0.0f))
        return -1;
    int32_t mid = start + (end - start) / 2;
    select_kth(items, start, end, mid, dim);
    return mid;
}

/* The subtree of items start to end - 1 (their order and the nodes, boxes not yet set). */
static int32_t build(Builder *b, int32_t start, int32_t end)
{
    int32_t id = new_node(b, start, end);
    if (id < 0)
        return -1;
    int32_t mid = split(b->items, start, end);
    if (mid < 0)
        return id;
    int32_t left = build(b, start, mid);
    if (left < 0)
        return -1;
    int32_t right = build(b, mid, end);
    if (right < 0)
        return -1;
    b->nodes[id].left = left;  /* b->nodes may have moved */
    b->nodes[id].right = right;
    return id;
}

typedef struct {
    Builder b;
    int32_t start, end, root;
} Half;

static void *build_half(void *arg)
{
    Half *h = (Half *)arg;
    h->root = build(&h->b, h->start, h->end);
    return NULL;
}

/* Append the nodes of `from` to `to`, their child numbers shifted to their new places. */
static int append_nodes(Builder *to, const Builder *from)
{
    int32_t shift = to->n_nodes;
    if (to->n_nodes + from->n_nodes > to->cap_nodes) {
        int32_t cap = to->n_nodes + from->n_nodes;
        Node *grown = (Node *)realloc(to->nodes, (size_t)cap * sizeof(Node));
        if (grown == NULL)
            return -1;
        to->nodes = grown;
        to->cap_nodes = cap;
    }
    for (int32_t k = 0; k < from->n_nodes; k++) {
        Node nd = from->nodes[k];
        if (nd.left >= 0) {
            nd.left += shift;
            nd.right += shift;
        }
        to->nodes[to->n_nodes++] = nd;
    }
    return 0;
}

/* Items of this many segments or more have their two halves built on two threads. */
#define PARALLEL_ITEMS 32768

/* The whole tree, in preorder from node 0. The two halves below the root of a large tree are
 * built at once, the left on a second thread, each into its own nodes, then joined (where no
 * thread can be started, one after the other). */
static int build_tree(Builder *b, int32_t n)
{
    int32_t root = new_node(b, 0, n);
    if (root < 0)
        return -1;
    int32_t mid = split(b->items, 0, n);
    if (mid < 0)
        return 0;
    Half left = {{b->items, NULL, 0, 0}, 0, mid, -1};
    Half right = {{b->items, NULL, 0, 0}, mid, n, -1};
    pthread_t th;
    int threaded = n >= PARALLEL_ITEMS && pthread_create(&th, NULL, build_half, &left) == 0;
    if (!threaded)
        build_half(&left);
    build_half(&right);
    if (threaded)
        pthread_join(th, NULL);
    int ok = left.root == 0 && right.root == 0;  /* each half's root is its first node */
    if (ok) {
        b->nodes[0].left = 1;
        b->nodes[0].right = 1 + left.b.n_nodes;
        ok = append_nodes(b, &left.b) == 0 && append_nodes(b, &right.b) == 0;
    }
    free(left.b.nodes);
    free(right.b.nodes);
    return ok ? 0 : -1;
}

/* Every node's box, from its segments' end points: leaves first (children come after their
 * parent in preorder, so going backwards meets both children before their parent). */
static void set_boxes(SegTree *t)
{
    for (int32_t id = t->n_nodes - 1; id >= 0; id--) {
        Node *nd = &t->nodes[id];
        double lo[3] = {INFINITY, INFINITY, INFINITY};
        double hi[3] = {-INFINITY, -INFINITY, -INFINITY};
        if (nd->left < 0) {
            for (int32_t i = nd->start; i < nd->end; i++) {
                const Seg *s = &t->segs[i];
                for (int d = 0; d < 3; d++) {
                    double a = s->a[d], e = s->e[d];
                    if (a > e) {
                        double x = a;
                        a = e;
                        e = x;
                    }
                    if (a < lo[d]) lo[d] = a;
                    if (e > hi[d]) hi[d] = e;
                }
            }
        } else {
            const Node *l = &t->nodes[nd->left], *r = &t->nodes[nd->right];
            for (int d = 0; d < 3; d++) {
                lo[d] = l->lo[d] < r->lo[d] ? l->lo[d] : r->lo[d];
                hi[d] = l->hi[d] > r->hi[d] ? l->hi[d] : r->hi[d];
            }
        }
        memcpy(nd->lo, lo, sizeof lo);
        memcpy(nd->hi, hi, sizeof hi);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* queries */

typedef struct {
    const SegTree *t;
    double p[3];
    double best2;      /* squared chord distance of the best segment (or of the bound) */
    double best_t;
    int64_t best_seg;  /* -1: none yet */
    int32_t best_item; /* its place in tree order */
} Query;

static inline double box_dist2(const Node *nd, const double *p)
{
    double s = 0.0;
    for (int d = 0; d < 3; d++) {
        double e = 0.0;
        if (p[d] < nd->lo[d])
            e = nd->lo[d] - p[d];
        else if (p[d] > nd->hi[d])
            e = p[d] - nd->hi[d];
        s += e * e;
    }
    return s;
}

static inline void measure(Query *q, int32_t item)
{
    const Seg *s = &q->t->segs[item];
    int32_t number = q->t->start[item];
    double ax = s->a[0], ay = s->a[1], az = s->a[2];
    double bx = s->e[0] - ax, by = s->e[1] - ay, bz = s->e[2] - az;
    double px = q->p[0] - ax, py = q->p[1] - ay, pz = q->p[2] - az;
    double den = bx * bx + by * by + bz * bz;
    double num = px * bx + py * by + pz * bz;
    if (den < 1e-300)
        den = 1e-300;
    double tt = num / den;
    if (tt < 0.0) tt = 0.0;
    if (tt > 1.0) tt = 1.0;
    px -= tt * bx;
    py -= tt * by;
    pz -= tt * bz;
    double d2 = px * px + py * py + pz * pz;
    if (d2 < q->best2 || (d2 == q->best2 && (q->best_seg < 0 || number < q->best_seg))) {
        q->best2 = d2;
        q->best_seg = number;
        q->best_t = tt;
        q->best_item = item;
    }
}

static void search(Query *q, int32_t id)
{
    const Node *nd = &q->t->nodes[id];
    if (nd->left < 0) {
        for (int32_t i = nd->start; i < nd->end; i++)
            measure(q, i);
        return;
    }
    const Node *a = &q->t->nodes[nd->left], *b = &q->t->nodes[nd->right];
    double da = box_dist2(a, q->p), db = box_dist2(b, q->p);
    int32_t first = nd->left, second = nd->right;
    if (db < da) {
        double tmp = da;
        da = db;
        db = tmp;
        first = nd->right;
        second = nd->left;
    }
    if (da <= q->best2)
        search(q, first);
    if (db <= q->best2)
        search(q, second);
}

/* Points are searched in the order of a Z-order (Morton) key of their place in the tree's
 * box, each starting from the previous point's segment: neighbours in that order are near
 * each other, so the tree's memory is reused from cache, and the previous answer is
 * usually near the new one, which bounds the search from its start. (Random order, 24,576
 * points on 547k segments: 1.41 us a point; in Z-order 0.92 us, without the warm start.) */
typedef struct {
    uint64_t key;
    Py_ssize_t i;
} Order;

static int by_key(const void *a, const void *b)
{
    uint64_t x = ((const Order *)a)->key, y = ((const Order *)b)->key;
    return (x > y) - (x < y);
}

/* Sort by key, stably: least significant digit first, 11 bits a pass, a pass skipped where
 * every key has the same digit (the high digits of a query over one region). About 20 times
 * faster than qsort on 49k points, where qsort took a third of the search. Small inputs,
 * or no memory for the second buffer: qsort (stable in glibc, and the answers do not depend
 * on the order anyway: ties go to the lowest segment number). */
static void sort_by_key(Order *a, Py_ssize_t m)
{
    Order *tmp = m >= 2048 ? (Order *)malloc((size_t)m * sizeof(Order)) : NULL;
    if (tmp == NULL) {
        qsort(a, (size_t)m, sizeof(Order), by_key);
        return;
    }
    size_t count[2048];
    Order *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 11) {
        memset(count, 0, sizeof count);
        for (Py_ssize_t i = 0; i < m; i++)
            count[(src[i].key >> shift) & 2047]++;
        if (count[(src[0].key >> shift) & 2047] == (size_t)m)
            continue;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (Py_ssize_t i = 0; i < m; i++)
            dst[count[(src[i].key >> shift) & 2047]++] = src[i];
        Order *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != a)
        memcpy(a, src, (size_t)m * sizeof(Order));
    free(tmp);
}

static uint64_t spread(uint64_t v)  /* 21 bits to every third bit of 63 */
{
    v &= 0x1fffff;
    v = (v | v << 32) & 0x1f00000000ffffULL;
    v = (v | v << 16) & 0x1f0000ff0000ffULL;
    v = (v | v << 8) & 0x100f00f00f00f00fULL;
    v = (v | v << 4) & 0x10c30c30c30c30c3ULL;
    v = (v | v << 2) & 0x1249249249249249ULL;
    return v;
}

static uint64_t zkey(const Node *root, const double *p)
{
    uint64_t key = 0;
    for (int d = 0; d < 3; d++) {
        double span = root->hi[d] - root->lo[d];
        double f = span > 0.0 ? (p[d] - root->lo[d]) / span : 0.0;
        if (!(f >= 0.0)) f = 0.0;  /* also NaN */
        if (f > 1.0) f = 1.0;
        key |= spread((uint64_t)(f * 2097151.0)) << d;
    }
    return key;
}

/* ------------------------------------------------------------------------------------------ */
/* the Python type */

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, const char *what,
                      Py_ssize_t itemsize, Py_ssize_t count)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    if (view->itemsize != itemsize || (count >= 0 && view->len != count * itemsize)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes", what, count,
                     itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void SegTree_dealloc(SegTree *self)
{
    free(self->segs);
    free(self->start);
    free(self->nodes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int SegTree_init(SegTree *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"xyz", "has_next", NULL};
    PyObject *xyz_obj, *next_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist, &xyz_obj, &next_obj))
        return -1;
    if (self->segs != NULL || self->nodes != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SegTree is already built");
        return -1;
    }
    Py_buffer xb, fb;
    if (get_buffer(next_obj, &fb, 0, "has_next", 1, -1) < 0)
        return -1;
    if (fb.len > INT32_MAX - 1) {
        PyBuffer_Release(&fb);
        PyErr_SetString(PyExc_ValueError, "too many vertices");
        return -1;
    }
    int32_t n = (int32_t)fb.len;
    if (get_buffer(xyz_obj, &xb, 0, "xyz", sizeof(double), 3 * (Py_ssize_t)n) < 0) {
        PyBuffer_Release(&fb);
        return -1;
    }
    const double *X = (const double *)xb.buf;
    const uint8_t *next = (const uint8_t *)fb.buf;
    size_t room = (size_t)(n ? n : 1);
    Builder bld = {(Item *)malloc(room * sizeof(Item)), NULL, 0, 0};
    int ok = bld.items != NULL;
    int32_t count = 0;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS  /* the buffers are held: nothing here touches Python */
        for (int32_t i = 0; i < n; i++) {
            int joined = next[i] && i + 1 < n;  /* a segment never runs past the last vertex */
            int prev = i > 0 && next[i - 1];
            if (!joined && prev)
                continue;  /* the last vertex of a piece: its segment starts one before */
            int32_t e = joined ? i + 1 : i;
            Item *it = &bld.items[count++];
            for (int d = 0; d < 3; d++)
                it->m[d] = (float)(0.5 * (X[3 * (size_t)i + d] + X[3 * (size_t)e + d]));
            it->v = i;
        }
        Py_END_ALLOW_THREADS
    }
    self->n = count;
    if (ok && count > 0) {
        Py_BEGIN_ALLOW_THREADS
        ok = build_tree(&bld, count) == 0;
        if (ok) {
            self->segs = (Seg *)malloc((size_t)count * sizeof(Seg));
            self->start = (int32_t *)malloc((size_t)count * sizeof(int32_t));
            ok = self->segs != NULL && self->start != NULL;
        }
        if (ok) {
            /* the segments in tree order, each with both end points */
            for (int32_t k = 0; k < count; k++) {
                int32_t i = bld.items[k].v;
                int32_t e = next[i] && i + 1 < n ? i + 1 : i;
                for (int d = 0; d < 3; d++) {
                    self->segs[k].a[d] = X[3 * (size_t)i + d];
                    self->segs[k].e[d] = X[3 * (size_t)e + d];
                }
                self->start[k] = i;
            }
            self->nodes = bld.nodes;
            self->n_nodes = bld.n_nodes;
            self->cap_nodes = bld.cap_nodes;
            bld.nodes = NULL;
            set_boxes(self);
        }
        Py_END_ALLOW_THREADS
    } else if (ok) {
        self->segs = (Seg *)malloc(sizeof(Seg));
        self->start = (int32_t *)malloc(sizeof(int32_t));
        ok = self->segs != NULL && self->start != NULL;
    }
    free(bld.items);
    free(bld.nodes);
    PyBuffer_Release(&xb);
    PyBuffer_Release(&fb);
    if (!ok) {
        free(self->segs);
        free(self->start);
        free(self->nodes);
        self->segs = NULL;
        self->start = NULL;
        self->nodes = NULL;
        self->n = self->n_nodes = self->cap_nodes = 0;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(nearest_doc,
"nearest(P, bound, dist, seg, t)\n--\n\n"
"For each row of P (m, 3 float64), the nearest segment: its chord distance into dist\n"
"(m float64), its start vertex into seg (m int64) and the foot parameter into t (m\n"
"float64). Only segments within bound (chord metres; inf for any) are found; a point with\n"
"none gets inf, -1 and 0.");

static PyObject *SegTree_nearest(SegTree *self, PyObject *args)
{
    PyObject *p_obj, *d_obj, *s_obj, *t_obj;
    double bound;
    if (!PyArg_ParseTuple(args, "OdOOO", &p_obj, &bound, &d_obj, &s_obj, &t_obj))
        return NULL;
    Py_buffer pb, db, sb, tb;
    if (get_buffer(p_obj, &pb, 0, "P", sizeof(double), -1) < 0)
        return NULL;
    if (pb.len % (3 * (Py_ssize_t)sizeof(double)) != 0) {
        PyBuffer_Release(&pb);
        PyErr_SetString(PyExc_ValueError, "P: expected rows of 3 float64");
        return NULL;
    }
    Py_ssize_t m = pb.len / (3 * (Py_ssize_t)sizeof(double));
    if (get_buffer(d_obj, &db, 1, "dist", sizeof(double), m) < 0) {
        PyBuffer_Release(&pb);
        return NULL;
    }
    if (get_buffer(s_obj, &sb, 1, "seg", sizeof(int64_t), m) < 0) {
        PyBuffer_Release(&pb);
        PyBuffer_Release(&db);
        return NULL;
    }
    if (get_buffer(t_obj, &tb, 1, "t", sizeof(double), m) < 0) {
        PyBuffer_Release(&pb);
        PyBuffer_Release(&db);
        PyBuffer_Release(&sb);
        return NULL;
    }
    const double *P = (const double *)pb.buf;
    double *dist = (double *)db.buf, *tt = (double *)tb.buf;
    int64_t *seg = (int64_t *)sb.buf;
    /* a negative or NaN bound finds nothing */
    double start2 = bound >= 0.0 ? bound * bound : -1.0;
    Order *order = m > 1 && self->n > 0 ? (Order *)malloc((size_t)m * sizeof(Order)) : NULL;
    Py_BEGIN_ALLOW_THREADS
    if (order != NULL) {
        for (Py_ssize_t i = 0; i < m; i++) {
            order[i].key = zkey(&self->nodes[0], &P[3 * i]);
            order[i].i = i;
        }
        sort_by_key(order, m);
    }
    int32_t prev = -1;
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_ssize_t i = order != NULL ? order[k].i : k;
        Query q = {self, {P[3 * i], P[3 * i + 1], P[3 * i + 2]}, start2, 0.0, -1, -1};
        if (self->n > 0 && start2 >= 0.0 && isfinite(q.p[0]) && isfinite(q.p[1])
                && isfinite(q.p[2])) {
            if (prev >= 0)
                measure(&q, prev);  /* a real segment: an upper bound to start from */
            search(&q, 0);
        }
        if (q.best_seg >= 0) {
            dist[i] = sqrt(q.best2);
            seg[i] = q.best_seg;
            tt[i] = q.best_t;
            prev = q.best_item;
        } else {
            dist[i] = INFINITY;
            seg[i] = -1;
            tt[i] = 0.0;
        }
    }
    Py_END_ALLOW_THREADS
    free(order);
    PyBuffer_Release(&pb);
    PyBuffer_Release(&db);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&tb);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* a built tree as bytes and back (geoverify.engine.treecache keeps trees between runs) */

PyDoc_STRVAR(dump_doc,
"dump()\n--\n\n"
"The built tree as three bytes objects (segments, their start vertices, nodes) that\n"
"SegTree.from_parts takes back.");

static PyObject *SegTree_dump(SegTree *self, PyObject *unused)
{
    (void)unused;
    static const char none[1] = {0};  /* an empty tree has no nodes (NULL would give None) */
    return Py_BuildValue(
        "(y#y#y#)", self->n ? (const char *)self->segs : none,
        (Py_ssize_t)self->n * (Py_ssize_t)sizeof(Seg),
        self->n ? (const char *)self->start : none,
        (Py_ssize_t)self->n * (Py_ssize_t)sizeof(int32_t),
        self->n_nodes ? (const char *)self->nodes : none,
        (Py_ssize_t)self->n_nodes * (Py_ssize_t)sizeof(Node));
}

/* Whether nodes[0:n_nodes] over n segments is a tree the search can walk: every node's
 * segments in range, children after their parent (preorder), each node the child of one
 * parent only, and no deeper than MAX_DEPTH (the search recurses once a level). */
#define MAX_DEPTH 200

static int valid_nodes(const Node *nodes, int32_t n_nodes, int32_t n)
{
    if (n == 0)
        return n_nodes == 0;
    if (n_nodes < 1)
        return 0;
    uint8_t *depth = (uint8_t *)calloc((size_t)n_nodes, 1);
    uint8_t *seen = (uint8_t *)calloc((size_t)n_nodes, 1);
    int ok = depth != NULL && seen != NULL;
    for (int32_t k = 0; ok && k < n_nodes; k++) {
        const Node *nd = &nodes[k];
        ok = nd->start >= 0 && nd->start <= nd->end && nd->end <= n;
        if (!ok)
            break;
        if (k > 0 && !seen[k]) {  /* only the root is nobody's child */
            ok = 0;
            break;
        }
        if (nd->left < 0 && nd->right < 0)
            continue;
        int32_t kids[2] = {nd->left, nd->right};
        for (int j = 0; ok && j < 2; j++) {
            int32_t c = kids[j];
            ok = c > k && c < n_nodes && !seen[c] && depth[k] + 1 < MAX_DEPTH;
            if (ok) {
                seen[c] = 1;
                depth[c] = (uint8_t)(depth[k] + 1);
            }
        }
    }
    free(depth);
    free(seen);
    return ok;
}

PyDoc_STRVAR(from_parts_doc,
"from_parts(segs, start, nodes)\n--\n\n"
"A tree from what dump() gave (copied); ValueError when the parts do not make one.");

static PyObject *SegTree_from_parts(PyTypeObject *type, PyObject *args)
{
    Py_buffer sb, vb, nb;
    if (!PyArg_ParseTuple(args, "y*y*y*", &sb, &vb, &nb))
        return NULL;
    PyObject *result = NULL;
    SegTree *t = NULL;
    if (sb.len % (Py_ssize_t)sizeof(Seg) != 0 || nb.len % (Py_ssize_t)sizeof(Node) != 0
            || sb.len / (Py_ssize_t)sizeof(Seg) > INT32_MAX - 1
            || nb.len / (Py_ssize_t)sizeof(Node) > INT32_MAX - 1
            || vb.len != sb.len / (Py_ssize_t)sizeof(Seg) * (Py_ssize_t)sizeof(int32_t)) {
        PyErr_SetString(PyExc_ValueError, "from_parts: parts of inconsistent sizes");
        goto done;
    }
    int32_t n = (int32_t)(sb.len / (Py_ssize_t)sizeof(Seg));
    int32_t n_nodes = (int32_t)(nb.len / (Py_ssize_t)sizeof(Node));
    if (!valid_nodes((const Node *)nb.buf, n_nodes, n)) {
        PyErr_SetString(PyExc_ValueError, "from_parts: the nodes do not make a tree");
        goto done;
    }
    const int32_t *start = (const int32_t *)vb.buf;
    for (int32_t i = 0; i < n; i++) {
        if (start[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "from_parts: a negative start vertex");
            goto done;
        }
    }
    t = (SegTree *)type->tp_alloc(type, 0);
    if (t == NULL)
        goto done;
    /* as SegTree_init leaves an empty tree: one slot each, no nodes */
    t->segs = (Seg *)malloc(n ? (size_t)sb.len : sizeof(Seg));
    t->start = (int32_t *)malloc(n ? (size_t)vb.len : sizeof(int32_t));
    t->nodes = n_nodes ? (Node *)malloc((size_t)nb.len) : NULL;
    if (t->segs == NULL || t->start == NULL || (n_nodes && t->nodes == NULL)) {
        Py_DECREF(t);
        t = NULL;
        PyErr_NoMemory();
        goto done;
    }
    memcpy(t->segs, sb.buf, (size_t)sb.len);
    memcpy(t->start, vb.buf, (size_t)vb.len);
    if (n_nodes)
        memcpy(t->nodes, nb.buf, (size_t)nb.len);
    t->n = n;
    t->n_nodes = t->cap_nodes = n_nodes;
    result = (PyObject *)t;
done:
    PyBuffer_Release(&sb);
    PyBuffer_Release(&vb);
    PyBuffer_Release(&nb);
    return result;
}

static PyObject *SegTree_nbytes(SegTree *self, void *closure)
{
    (void)closure;
    size_t b = (size_t)self->n * (sizeof(Seg) + sizeof(int32_t))
               + (size_t)self->cap_nodes * sizeof(Node);
    return PyLong_FromSize_t(b);
}

static PyMethodDef SegTree_methods[] = {
    {"nearest", (PyCFunction)SegTree_nearest, METH_VARARGS, nearest_doc},
    {"dump", (PyCFunction)SegTree_dump, METH_NOARGS, dump_doc},
    {"from_parts", (PyCFunction)SegTree_from_parts, METH_VARARGS | METH_CLASS, from_parts_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef SegTree_getset[] = {
    {"nbytes", (getter)SegTree_nbytes, NULL, "Bytes the tree holds.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(SegTree_doc,
"SegTree(xyz, has_next)\n--\n\n"
"Tree of the segments of line vertices (xyz: n rows of 3 float64, Earth-centred metres; has_next: n\n"
"uint8, vertex i joined to vertex i + 1) for exact nearest-segment queries.");

static PyTypeObject SegTreeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "geoverify.engine._segtree.SegTree",
    .tp_basicsize = sizeof(SegTree),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = SegTree_doc,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)SegTree_init,
    .tp_dealloc = (destructor)SegTree_dealloc,
    .tp_methods = SegTree_methods,
    .tp_getset = SegTree_getset,
};

static struct PyModuleDef segtree_module = {
    PyModuleDef_HEAD_INIT, "_segtree",
    "Exact nearest-segment queries over line vertices (compiled half of "
    "geoverify.engine.lines).", -1, NULL,
};

PyMODINIT_FUNC PyInit__segtree(void)
{
    if (PyType_Ready(&SegTreeType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&segtree_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&SegTreeType);
    if (PyModule_AddObject(m, "SegTree", (PyObject *)&SegTreeType) < 0) {
        Py_DECREF(&SegTreeType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
