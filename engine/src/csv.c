/*
 * csv.c — the CSV reader (rules in knob/csv.h) and the locale-independent number parser and formatter.
 *
 * Design: the whole file is in one NUL-terminated buffer. Pass 1 tokenizes it row by row and parses every
 * field of a still-numeric column straight into a column-major block (stride = row capacity, estimated
 * from the number of line feeds); a field that is not a number turns its column categorical. Pass 2 runs
 * only when some column is categorical: it tokenizes the rows again and interns those columns' strings
 * (levels in order of first appearance). Finally the target is pulled out, classes are sorted, the
 * feature columns are compacted in place and the block becomes the frame's X. No per-row allocation.
 */
#include "knob/util.h"
#include "knob/csv.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------ */
/* Numbers                                                                                           */

/* Powers of ten that are exact doubles (10^22 < 2^53 * 2^22 is the largest). */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define TWO53 (UINT64_C(1) << 53)

/* A growable scratch buffer (the strtod fallback, unescaped fields). */
typedef struct {
    char *p;
    size_t cap;
} scratch;

static char *scratch_reserve(scratch *b, size_t n)
{
    if (n <= b->cap) return b->p;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) return NULL;
    b->p = q;
    b->cap = cap;
    return q;
}

static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Clinger's fast path: m * 10^e10 is exact when m <= 2^53 and 10^|e10| is an exact double, because one
 * IEEE operation on exact operands is correctly rounded. Needs double evaluation (FLT_EVAL_METHOD 0). */
static int fast_value(uint64_t m, long e10, double *out)
{
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    (void)m, (void)e10, (void)out;
    return 0;
#else
    if (m > TWO53 || e10 < -22 || e10 > 22 + 16) return 0;
    if (e10 < 0) {
        *out = (double)m / pow10_exact[-e10];
        return 1;
    }
    for (; e10 > 22; e10--) { /* 123e25 = 123000e22: move exact factors of ten into the mantissa */
        if (m > TWO53 / 10) return 0;
        m *= 10;
    }
    *out = (double)m * pow10_exact[e10];
    return 1;
#endif
}

/* strtod on a copy of s[0..n-1], with '.' replaced by the locale's decimal point if that is not '.'.
 * Returns 0, or -1 when out of memory. */
static int slow_value(const char *s, size_t n, char point, scratch *tmp, double *out)
{
    char small[128], *b = small;
    if (n + 1 > sizeof small && !(b = scratch_reserve(tmp, n + 1))) return -1;
    memcpy(b, s, n);
    b[n] = '\0';
    if (point != '.') {
        char *dot = memchr(b, '.', n);
        if (dot) *dot = point;
    }
    *out = strtod(b, NULL);
    return 0;
}

/* The locale's decimal point (strtod uses it); '.' in the "C" locale. */
static char locale_point(void)
{
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0] && !lc->decimal_point[1]) ? lc->decimal_point[0]
                                                                                       : '.';
}

enum { NUM_NONE = 0, NUM_OK = 1, NUM_NOMEM = -1 };

/* Scan a number (knob/csv.h syntax, no spaces) at p, p < end. On NUM_OK sets *stop past it and *out.
 * The significant digits (leading zeros skipped) accumulate in m; more than 19 of them go to strtod. */
static int scan_number(const char *p, const char *end, const char **stop, double *out, char point,
                       scratch *tmp)
{
    const char *start = p;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    const char *d0 = p;
    while (p < end && *p == '0') p++;
    const char *s0 = p;
    uint64_t m = 0; /* wraps harmlessly past 19 digits: that case takes the strtod path */
    while (p < end && is_digit(*p)) m = m * 10 + (unsigned)(*p++ - '0');
    size_t nsig = (size_t)(p - s0), nd = (size_t)(p - d0);
    long e10 = 0;
    if (p < end && *p == '.') {
        const char *f0 = ++p;
        if (nsig == 0)
            while (p < end && *p == '0') p++; /* 0.000123: zeros before the first significant digit */
        const char *f1 = p;
        while (p < end && is_digit(*p)) m = m * 10 + (unsigned)(*p++ - '0');
        nsig += (size_t)(p - f1);
        nd += (size_t)(p - f0);
        e10 = -(long)(p - f0);
    }
    if (nd == 0) return NUM_NONE;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        if (q < end && (*q == '-' || *q == '+')) eneg = *q++ == '-';
        if (!(q < end && is_digit(*q))) return NUM_NONE;
        long x = 0;
        for (; q < end && is_digit(*q); q++)
            if (x < 100000000) x = x * 10 + (*q - '0');
        e10 += eneg ? -x : x;
        p = q;
    }
    *stop = p;
    double v;
    if (nsig == 0) v = 0.0;
    else if (nsig > 19 || !fast_value(m, e10, &v)) {
        if (slow_value(start, (size_t)(p - start), point, tmp, out)) return NUM_NOMEM;
        return NUM_OK; /* strtod handled the sign */
    }
    *out = neg ? -v : v;
    return NUM_OK;
}

static int is_space(char c, char delim)
{
    return c == ' ' || (c == '\t' && delim != '\t');
}

static void trim(const char **s, const char **e, char delim)
{
    while (*s < *e && is_space(**s, delim)) (*s)++;
    while (*e > *s && is_space((*e)[-1], delim)) (*e)--;
}

/* Whole text s[0..n-1] (already trimmed) is a number: NUM_OK / NUM_NONE / NUM_NOMEM. */
static int parse_whole(const char *s, size_t n, double *out, char point, scratch *tmp)
{
    const char *stop = NULL;
    if (n == 0) return NUM_NONE;
    int r = scan_number(s, s + n, &stop, out, point, tmp);
    return (r == NUM_OK && stop != s + n) ? NUM_NONE : r;
}

int knob_csv_parse_double(const char *s, size_t len, double *out)
{
    const char *e = s + len;
    scratch tmp = {NULL, 0};
    trim(&s, &e, 0);
    int r = parse_whole(s, (size_t)(e - s), out, locale_point(), &tmp);
    free(tmp.p);
    return r;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int equals_nocase(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != word[i]) return 0;
    return 1;
}

/* [+|-](inf|infinity), any case. */
static int is_inf_text(const char *s, size_t n)
{
    if (n && (*s == '+' || *s == '-')) s++, n--;
    return equals_nocase(s, n, "inf") || equals_nocase(s, n, "infinity");
}

size_t knob_csv_format_double(double v, char *buf)
{
    if (v == 0) {
        strcpy(buf, signbit(v) ? "-0" : "0");
        return strlen(buf);
    }
    if (fabs(v) < 1e15 && v == (double)(long long)v) { /* integers: plain digits, no printf */
        char tmp[24];
        unsigned long long u = (unsigned long long)(v < 0 ? -v : v);
        size_t k = 0, n = 0;
        while (u) tmp[k++] = (char)('0' + u % 10), u /= 10;
        if (v < 0) buf[n++] = '-';
        while (k) buf[n++] = tmp[--k];
        buf[n] = '\0';
        return n;
    }
    char point = locale_point();
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        if (point != '.') {
            char *q = strchr(buf, point);
            if (q) *q = '.';
        }
        double back;
        if (prec == 17 || (knob_csv_parse_double(buf, (size_t)n, &back) == NUM_OK && back == v)) break;
    }
    return (size_t)n;
}

/* ------------------------------------------------------------------------------------------------ */
/* String interning (levels, header names)                                                          */

typedef struct {
    size_t off, len;
    uint64_t hash;
} str_entry;

typedef struct {
    size_t n, cap;     /* entries */
    str_entry *ent;
    size_t *slot;      /* open addressing: 0 = empty, else entry index + 1 */
    size_t nslot;      /* power of two */
    char *arena;       /* the strings, NUL-terminated */
    size_t arena_len, arena_cap;
} strtab;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

static void strtab_free(strtab *t)
{
    free(t->ent);
    free(t->slot);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static const char *strtab_str(const strtab *t, size_t k)
{
    return t->arena + t->ent[k].off;
}

static int strtab_rehash(strtab *t, size_t nslot)
{
    size_t *slot = calloc(nslot, sizeof *slot);
    if (!slot) return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = (size_t)t->ent[k].hash & (nslot - 1);
        while (slot[i]) i = (i + 1) & (nslot - 1);
        slot[i] = k + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    return 0;
}

/* Index of s[0..n-1] in t, adding it if new (*added = 1). Returns -1 when out of memory. */
static long strtab_intern(strtab *t, const char *s, size_t n, int *added)
{
    uint64_t h = hash_bytes(s, n);
    *added = 0;
    if (t->nslot) {
        size_t i = (size_t)h & (t->nslot - 1);
        for (; t->slot[i]; i = (i + 1) & (t->nslot - 1)) {
            const str_entry *e = &t->ent[t->slot[i] - 1];
            if (e->hash == h && e->len == n && memcmp(t->arena + e->off, s, n) == 0)
                return (long)(t->slot[i] - 1);
        }
    }
    if ((t->n + 1) * 2 > t->nslot && strtab_rehash(t, t->nslot ? t->nslot * 2 : 16)) return -1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        str_entry *ent = realloc(t->ent, cap * sizeof *ent);
        if (!ent) return -1;
        t->ent = ent;
        t->cap = cap;
    }
    if (t->arena_len + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 256;
        while (cap < t->arena_len + n + 1) cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a) return -1;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, s, n);
    t->arena[t->arena_len + n] = '\0';
    t->ent[t->n] = (str_entry){t->arena_len, n, h};
    t->arena_len += n + 1;
    size_t i = (size_t)h & (t->nslot - 1);
    while (t->slot[i]) i = (i + 1) & (t->nslot - 1);
    t->slot[i] = ++t->n;
    *added = 1;
    return (long)(t->n - 1);
}

/* ------------------------------------------------------------------------------------------------ */
/* The reader                                                                                        */

enum { KIND_NUM = 0, KIND_CAT = 1 };
enum { FORCE_NONE = 0, FORCE_NUM = 1, FORCE_CAT = 2 };
enum { T_DELIM, T_EOL, T_EOF, T_ERR };
#define NO_COL ((size_t)-1)

typedef struct {
    int kind, forced;
    size_t n_missing;
    size_t flip_line;        /* first non-numeric value (line 0 = none) */
    const char *flip_s;
    size_t flip_n;
    size_t inf_line;         /* first infinite value in a column that may stay numeric */
    const char *inf_s;
    size_t inf_n;
    strtab levels;           /* categorical (pass 2) */
} colstate;

typedef struct {
    const char *name;                  /* for messages */
    const char *end;                   /* end of the text; *end == NUL */
    const char *p;                     /* cursor */
    size_t line;                       /* line of the cursor (1-based) */
    char delim, point;
    unsigned char stop[256];           /* bytes that end an unquoted field */
    const char *const *na_extra;
    knob_err *err;
    size_t nc;                         /* columns */
    strtab names;                      /* header names, column order */
    colstate *cols;
    size_t target;                     /* column index or NO_COL */
    double *block;                     /* column-major, stride cap */
    size_t cap, rows;
    scratch unesc, tmp;
} reader;

typedef struct {
    const char *s, *e;  /* content (between the quotes when quoted) */
    int escaped;        /* quoted with doubled quotes inside */
    size_t line;        /* line where the field starts */
} field;

static const char *col_name(const reader *r, size_t j)
{
    return (j < r->names.n) ? strtab_str(&r->names, j) : NULL;
}

/* Printable excerpt of a field for messages: at most 40 bytes, control characters as '?'. */
static const char *excerpt(char out[48], const char *s, size_t n)
{
    size_t k = n > 40 ? 40 : n;
    while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--; /* do not cut a UTF-8 character */
    for (size_t i = 0; i < k; i++) out[i] = ((unsigned char)s[i] < 32) ? '?' : s[i];
    strcpy(out + k, k < n ? "..." : "");
    return out;
}

/* "name, line L, column C ('col'): message" (line 0 / NO_COL leave those parts out). */
static int fail(reader *r, int code, size_t line, size_t j, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int fail(reader *r, int code, size_t line, size_t j, const char *fmt, ...)
{
    char where[256], msg[400];
    int n = snprintf(where, sizeof where, "%s", r->name);
    if (line && n >= 0 && (size_t)n < sizeof where) n += snprintf(where + n, sizeof where - (size_t)n, ", line %zu", line);
    if (j != NO_COL && n >= 0 && (size_t)n < sizeof where) {
        const char *cn = col_name(r, j);
        if (cn) snprintf(where + n, sizeof where - (size_t)n, ", column %zu ('%s')", j + 1, cn);
        else snprintf(where + n, sizeof where - (size_t)n, ", column %zu", j + 1);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return knob_err_set(r->err, code, "%s: %s", where, msg);
}

static int fail_nomem(reader *r)
{
    return knob_err_set(r->err, KNOB_ENOMEM, "%s: out of memory reading CSV", r->name);
}

/* Count line breaks (LF, CRLF, lone CR) in s..e; -1 if there is a NUL byte. */
static long count_breaks(const char *s, const char *e)
{
    long n = 0;
    for (; s < e; s++) {
        if (*s == '\n') n++;
        else if (*s == '\r') n += (s + 1 == e || s[1] != '\n');
        else if (*s == '\0') return -1;
    }
    return n;
}

/* After a field: consume the terminator at p. */
static int terminate(reader *r, const char *p)
{
    if (*p == r->delim) {
        r->p = p + 1;
        return T_DELIM;
    }
    if (*p == '\n' || *p == '\r') {
        p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
        r->p = p;
        r->line++;
        return T_EOL;
    }
    r->p = p; /* p == end */
    return T_EOF;
}

/* Scan the field at the cursor (column j, for messages). */
static int scan_field(reader *r, field *f, size_t j)
{
    const char *p = r->p;
    f->line = r->line;
    f->escaped = 0;
    if (*p == '"' && p < r->end) {
        f->s = ++p;
        for (;;) {
            const char *q = memchr(p, '"', (size_t)(r->end - p));
            if (!q)
                return fail(r, KNOB_EPARSE, f->line, j, "unterminated quoted field (the quote opened here is never closed)"), T_ERR;
            if (q[1] == '"' && q + 1 < r->end) {
                f->escaped = 1;
                p = q + 2;
                continue;
            }
            f->e = q;
            p = q + 1;
            break;
        }
        long nb = count_breaks(f->s, f->e);
        if (nb < 0) return fail(r, KNOB_EPARSE, f->line, j, "NUL byte in a field"), T_ERR;
        r->line += (size_t)nb;
        if (!(*p == r->delim || *p == '\n' || *p == '\r' || p == r->end)) {
            char c[8];
            snprintf(c, sizeof c, (unsigned char)*p < 32 ? "\\x%02x" : "%c", (unsigned char)*p);
            return fail(r, KNOB_EPARSE, r->line, j,
                        "unexpected '%s' after a closing quote (a quote inside a quoted field must be doubled)", c),
                   T_ERR;
        }
        return terminate(r, p);
    }
    f->s = p;
    while (!r->stop[(unsigned char)*p]) p++;
    if (*p == '\0' && p < r->end) return fail(r, KNOB_EPARSE, f->line, j, "NUL byte in a field"), T_ERR;
    f->e = p;
    return terminate(r, p);
}

/* The field's text (unescaped into r->unesc when needed); NULL when out of memory. */
static const char *field_text(reader *r, const field *f, size_t *n)
{
    if (!f->escaped) {
        *n = (size_t)(f->e - f->s);
        return f->s;
    }
    char *b = scratch_reserve(&r->unesc, (size_t)(f->e - f->s) + 1);
    if (!b) return NULL;
    size_t k = 0;
    for (const char *s = f->s; s < f->e; s++) {
        b[k++] = *s;
        if (*s == '"') s++; /* "" -> " */
    }
    *n = k;
    return b;
}

static int is_missing(const reader *r, const char *s, size_t n)
{
    const char *e = s + n;
    trim(&s, &e, r->delim);
    n = (size_t)(e - s);
    switch (n) {
    case 0: return 1;
    case 1: if (*s == '?') return 1; break;
    case 2: if (memcmp(s, "NA", 2) == 0) return 1; break;
    case 3: if (!memcmp(s, "N/A", 3) || !memcmp(s, "NaN", 3) || !memcmp(s, "nan", 3)) return 1; break;
    case 4: if (!memcmp(s, "NULL", 4) || !memcmp(s, "null", 4)) return 1; break;
    default: break;
    }
    if (r->na_extra)
        for (const char *const *x = r->na_extra; *x; x++)
            if (strlen(*x) == n && memcmp(*x, s, n) == 0) return 1;
    return 0;
}

static int at_break(const char *p)
{
    return *p == '\n' || *p == '\r';
}

/* Only line breaks from p to the end? */
static int rest_blank(const char *p, const char *end)
{
    while (p < end && at_break(p)) p++;
    return p == end;
}

/* Error for a row with the wrong number of fields; t is the terminator after column j. */
static int ragged(reader *r, size_t line, size_t j, int t)
{
    if (t != T_DELIM) {
        return fail(r, KNOB_EPARSE, line, NO_COL, "too few fields: %zu, expected %zu as in the header (column %zu '%s' is missing)",
                    j + 1, r->nc, j + 2, col_name(r, j + 1));
    }
    size_t n = r->nc + 1;
    field f;
    while ((t = scan_field(r, &f, n - 1)) == T_DELIM) n++;
    if (t == T_ERR) return KNOB_EPARSE;
    return fail(r, KNOB_EPARSE, line, NO_COL, "too many fields: %zu, expected %zu as in the header", n, r->nc);
}

static int grow_rows(reader *r)
{
    size_t cap = r->cap * 2;
    if (cap / 2 != r->cap || cap > SIZE_MAX / sizeof(double) / (r->nc ? r->nc : 1)) return fail_nomem(r);
    double *b = malloc(cap * r->nc * sizeof *b);
    if (!b) return fail_nomem(r);
    for (size_t j = 0; j < r->nc; j++) memcpy(b + j * cap, r->block + j * r->cap, r->rows * sizeof *b);
    free(r->block);
    r->block = b;
    r->cap = cap;
    return KNOB_OK;
}

/* A value for a still-numeric column j from field f (slow path: quoted, spaces, missing, text). */
static int classify(reader *r, size_t j, const field *f, double *out)
{
    colstate *c = &r->cols[j];
    size_t n;
    const char *s = field_text(r, f, &n);
    if (!s) return fail_nomem(r);
    if (is_missing(r, s, n)) {
        if (j == r->target) return fail(r, KNOB_EPARSE, f->line, j, "missing target value");
        c->n_missing++;
        *out = NAN;
        return KNOB_OK;
    }
    const char *e = s + n;
    trim(&s, &e, r->delim);
    int num = parse_whole(s, (size_t)(e - s), out, r->point, &r->tmp);
    if (num == NUM_NOMEM) return fail_nomem(r);
    int inf = num == NUM_OK ? isinf(*out) : is_inf_text(s, (size_t)(e - s));
    if (inf) {
        if (num != NUM_OK) *out = (*s == '-') ? -HUGE_VAL : HUGE_VAL;
        if (!c->inf_line) {
            c->inf_line = f->line;
            c->inf_s = f->s; /* excerpt from the buffer: the unescaped copy is scratch */
            c->inf_n = (size_t)(f->e - f->s);
        }
        if (c->forced == FORCE_NUM) goto bad_inf;
        return KNOB_OK;
    }
    if (num == NUM_OK) return KNOB_OK;
    if (c->forced == FORCE_NUM) {
        char ex[48];
        return fail(r, KNOB_EPARSE, f->line, j, "'%s' is not a number (the column is forced numeric)",
                    excerpt(ex, s, (size_t)(e - s)));
    }
    c->kind = KIND_CAT;
    c->n_missing = 0; /* pass 2 counts again */
    c->flip_line = f->line;
    c->flip_s = f->s;
    c->flip_n = (size_t)(f->e - f->s);
    return KNOB_OK;
bad_inf: {
    char ex[48];
    return fail(r, KNOB_EPARSE, f->line, j,
                "infinite value '%s' in a numeric column (knob holds finite numbers; write a missing value as "
                "an empty field or NA)",
                excerpt(ex, s, (size_t)(e - s)));
}
}

/* Pass 1: tokenize every row, parse numeric columns into the block. */
static int pass_numbers(reader *r)
{
    const int fast = r->na_extra == NULL || r->na_extra[0] == NULL;
    while (r->p < r->end) {
        if (at_break(r->p)) {
            if (rest_blank(r->p, r->end)) break;
            if (r->nc > 1)
                return fail(r, KNOB_EPARSE, r->line, NO_COL, "empty line (expected %zu fields as in the header)", r->nc);
        }
        if (r->rows == r->cap && grow_rows(r)) return r->err->code;
        size_t line = r->line;
        double *out = r->block + r->rows;
        for (size_t j = 0; j < r->nc; j++, out += r->cap) {
            colstate *c = &r->cols[j];
            int t;
            if (c->kind == KIND_NUM) {
                const char *p = r->p, *stop;
                double v;
                if (fast && *p != '"' && p < r->end) {
                    int num = scan_number(p, r->end, &stop, &v, r->point, &r->tmp);
                    if (num == NUM_NOMEM) return fail_nomem(r);
                    if (num == NUM_OK && (r->stop[(unsigned char)*stop] && (*stop || stop == r->end)) && !isinf(v)) {
                        *out = v;
                        t = terminate(r, stop);
                        goto next;
                    }
                }
                field f;
                if ((t = scan_field(r, &f, j)) == T_ERR) return r->err->code;
                if (classify(r, j, &f, out)) return r->err->code;
            } else {
                field f;
                if ((t = scan_field(r, &f, j)) == T_ERR) return r->err->code;
                if (j == r->target) {
                    size_t n;
                    const char *s = field_text(r, &f, &n);
                    if (!s) return fail_nomem(r);
                    if (is_missing(r, s, n)) return fail(r, KNOB_EPARSE, f.line, j, "missing target value");
                }
            }
        next:
            if ((t == T_DELIM) != (j + 1 < r->nc)) return ragged(r, line, j, t);
        }
        r->rows++;
    }
    return KNOB_OK;
}

/* Pass 2: intern the categorical columns' strings (the text was validated by pass 1). */
static int pass_levels(reader *r, const char *data, size_t line)
{
    r->p = data;
    r->line = line;
    for (size_t i = 0; i < r->rows; i++) {
        double *out = r->block + i;
        for (size_t j = 0; j < r->nc; j++, out += r->cap) {
            field f;
            scan_field(r, &f, j);
            colstate *c = &r->cols[j];
            if (c->kind != KIND_CAT) continue;
            size_t n;
            const char *s = field_text(r, &f, &n);
            if (!s) return fail_nomem(r);
            if (is_missing(r, s, n)) {
                c->n_missing++;
                *out = NAN;
                continue;
            }
            int added;
            long code = strtab_intern(&c->levels, s, n, &added);
            if (code < 0) return fail_nomem(r);
            *out = (double)code;
        }
    }
    return KNOB_OK;
}

/* The delimiters detected, in order of preference. */
static const char cand[4] = {',', ';', '\t', '|'};

/* Delimiter detection: counts of , ; \t | outside quotes in the record at p; returns the next record. */
static const char *count_delims(const char *p, const char *end, size_t counts[4])
{
    int inq = 0;
    const char *start = p;
    memset(counts, 0, 4 * sizeof counts[0]);
    for (; p < end; p++) {
        char c = *p;
        if (c == '"' && (inq || p == start || memchr(cand, p[-1], 4))) inq = !inq; /* quotes open fields only */
        else if (!inq && (c == '\n' || c == '\r')) break;
        else if (!inq)
            for (int k = 0; k < 4; k++) counts[k] += c == cand[k];
    }
    if (p < end) p += (p[0] == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
    return p;
}

static char detect_delimiter(const char *p, const char *end)
{
    size_t h[4], d[4];
    const char *q = count_delims(p, end, h);
    int have_row = !rest_blank(q, end);
    if (have_row) count_delims(q, end, d);
    int best = -1;
    for (int pass = 0; pass < 2 && best < 0; pass++)
        for (int k = 0; k < 4; k++)
            if (h[k] > 0 && (pass == 1 || !have_row || h[k] == d[k]) && (best < 0 || h[k] > h[best])) best = k;
    return best < 0 ? ',' : cand[best];
}

/* Names for "unknown column" messages: "did you mean 'x'? columns: a, b, c, ... (N columns)". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return (size_t)-1;
    size_t row[65];
    for (size_t k = 0; k <= lb; k++) row[k] = k;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t k = 1; k <= lb; k++) {
            size_t cur = row[k];
            size_t best = prev + (lower((unsigned char)a[i - 1]) != lower((unsigned char)b[k - 1]));
            if (row[k] + 1 < best) best = row[k] + 1;
            if (row[k - 1] + 1 < best) best = row[k - 1] + 1;
            row[k] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static int unknown_column(reader *r, const char *what, const char *name)
{
    char list[300];
    size_t n = 0, best = NO_COL, bestd = strlen(name) / 3 + 1; /* suggest within a third of the length */
    for (size_t j = 0; j < r->nc; j++) {
        size_t d = edit_distance(name, col_name(r, j));
        if (d < bestd) bestd = d, best = j;
    }
    list[0] = '\0';
    for (size_t j = 0; j < r->nc && j < 8 && n < sizeof list; j++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", j ? ", " : "", col_name(r, j));
    if (r->nc > 8 && n < sizeof list) snprintf(list + n, sizeof list - n, ", ... (%zu columns)", r->nc);
    char hint[120] = "";
    if (best != NO_COL) snprintf(hint, sizeof hint, "did you mean '%s'? ", col_name(r, best));
    return fail(r, KNOB_EPARSE, 0, NO_COL, "unknown %s column '%s' (%scolumns: %s)", what, name, hint, list);
}

static size_t find_column(const reader *r, const char *name)
{
    for (size_t j = 0; j < r->nc; j++)
        if (strcmp(col_name(r, j), name) == 0) return j;
    return NO_COL;
}

/* Header: names (unique, non-empty) into r->names. */
static int read_header(reader *r)
{
    for (;;) {
        field f;
        size_t j = r->names.n;
        int t = scan_field(r, &f, j);
        if (t == T_ERR) return r->err->code;
        size_t n;
        const char *s = field_text(r, &f, &n);
        if (!s) return fail_nomem(r);
        if (n == 0) return fail(r, KNOB_EPARSE, f.line, j, "empty column name in the header");
        if (memchr(s, '\0', n)) return fail(r, KNOB_EPARSE, f.line, j, "NUL byte in a column name");
        int added;
        long k = strtab_intern(&r->names, s, n, &added);
        if (k < 0) return fail_nomem(r);
        if (!added) {
            char ex[48];
            return fail(r, KNOB_EPARSE, f.line, NO_COL, "duplicate column name '%s' (columns %ld and %zu)",
                        excerpt(ex, s, n), k + 1, j + 1);
        }
        if (t != T_DELIM) break;
    }
    r->nc = r->names.n;
    return KNOB_OK;
}

static int check_opts(const knob_csv_opts *o, const char *name, knob_err *err)
{
    if (o->delimiter && !strchr(",;\t|", o->delimiter))
        return knob_err_set(err, KNOB_EINVAL, "%s: delimiter must be one of ',' ';' '\\t' '|' (or 0 to detect)", name);
    if (o->task != KNOB_TASK_NONE && o->task != KNOB_TASK_CLASSIFICATION && o->task != KNOB_TASK_REGRESSION)
        return knob_err_set(err, KNOB_EINVAL, "%s: task must be none, classification or regression (got %d)", name, o->task);
    if (o->target_name && o->target_index)
        return knob_err_set(err, KNOB_EINVAL, "%s: give the target by name or by index, not both", name);
    if (o->target_name && !o->target_name[0]) return knob_err_set(err, KNOB_EINVAL, "%s: target name is empty", name);
    if (o->task != KNOB_TASK_NONE && !o->target_name && !o->target_index)
        return knob_err_set(err, KNOB_EINVAL, "%s: a task is given but no target column", name);
    for (const char *const *a = o->categorical; a && *a; a++)
        for (const char *const *b = o->numeric; b && *b; b++)
            if (strcmp(*a, *b) == 0)
                return knob_err_set(err, KNOB_EINVAL, "%s: column '%s' is forced both categorical and numeric", name, *a);
    return KNOB_OK;
}

/* Resolve the target and the forced kinds against the header. */
static int resolve_columns(reader *r, const knob_csv_opts *o)
{
    r->target = NO_COL;
    if (o->target_name) {
        r->target = find_column(r, o->target_name);
        if (r->target == NO_COL) return unknown_column(r, "target", o->target_name);
    } else if (o->target_index) {
        long k = o->target_index, nc = (long)r->nc;
        if (k > nc || k < -nc)
            return fail(r, KNOB_EPARSE, 0, NO_COL, "target index %ld out of range (the file has %zu columns)", k, r->nc);
        r->target = (size_t)(k > 0 ? k - 1 : nc + k);
    }
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? o->numeric : o->categorical;
        for (; list && *list; list++) {
            size_t j = find_column(r, *list);
            if (j == NO_COL) return unknown_column(r, pass ? "numeric" : "categorical", *list);
            r->cols[j].forced = pass ? FORCE_NUM : FORCE_CAT;
            r->cols[j].kind = pass ? KIND_NUM : KIND_CAT;
        }
    }
    if (r->target != NO_COL && r->cols[r->target].forced == FORCE_CAT && o->task == KNOB_TASK_REGRESSION)
        return knob_err_set(r->err, KNOB_EINVAL, "%s: the target '%s' is forced categorical, so it cannot be a regression target",
                            r->name, col_name(r, r->target));
    return KNOB_OK;
}

typedef struct {
    const char *s;
    size_t code;
} named_code;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named_code *)a)->s, ((const named_code *)b)->s);
}

/* Level names (malloc'd, owned by the frame afterwards) of a strtab, in the order of idx (or as is). */
static char **levels_from(const strtab *t, const size_t *order, size_t n)
{
    char **lv = calloc(n ? n : 1, sizeof *lv);
    if (!lv) return NULL;
    for (size_t k = 0; k < n; k++) {
        size_t e = order ? order[k] : k;
        size_t len = t->ent[e].len + 1;
        if (!(lv[k] = malloc(len))) {
            while (k) free(lv[--k]);
            free(lv);
            return NULL;
        }
        memcpy(lv[k], strtab_str(t, e), len);
    }
    return lv;
}

/* Sorted distinct values of y[0..n-1] into a new array; *k = their number. */
static double *distinct_sorted(const double *y, size_t n, size_t *k)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return NULL;
    memcpy(v, y, n * sizeof *v);
    qsort(v, n, sizeof *v, knob_cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1]) v[m++] = v[i] == 0 ? 0.0 : v[i]; /* -0 and 0 are one class */
    *k = m;
    return v;
}

/* The task of a numeric target (forced, or inferred: integer-valued with at most max distinct values is
 * classification) and, for classification, its sorted distinct values in *classes (*k of them).
 * Returns the task, or -1 when out of memory. */
static int numeric_target(const double *y, size_t n, int task, size_t max, double **classes, size_t *k)
{
    *classes = NULL;
    if (task == KNOB_TASK_NONE) {
        for (size_t i = 0; i < n; i++)
            if (y[i] != floor(y[i])) return KNOB_TASK_REGRESSION;
        if (max <= 64) { /* a small set with an early exit, no sort of the whole column */
            double seen[64];
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                size_t a = 0;
                while (a < m && seen[a] != y[i]) a++;
                if (a == m) {
                    if (m == max) return KNOB_TASK_REGRESSION;
                    seen[m++] = y[i];
                }
            }
            if (!(*classes = malloc(m * sizeof **classes))) return -1;
            for (size_t a = 0; a < m; a++) (*classes)[a] = seen[a] == 0 ? 0.0 : seen[a];
            qsort(*classes, m, sizeof **classes, knob_cmp_double);
            *k = m;
            return KNOB_TASK_CLASSIFICATION;
        }
    }
    if (task == KNOB_TASK_REGRESSION) return task;
    if (!(*classes = distinct_sorted(y, n, k))) return -1;
    if (task == KNOB_TASK_NONE && *k > max) {
        free(*classes);
        *classes = NULL;
        return KNOB_TASK_REGRESSION;
    }
    return KNOB_TASK_CLASSIFICATION;
}

/* Target column → y codes or values, task, class names. */
static int build_target(reader *r, const knob_csv_opts *o, knob_frame *f)
{
    size_t n = r->rows, t = r->target;
    colstate *c = &r->cols[t];
    const double *col = r->block + t * r->cap;
    double *y = malloc((n ? n : 1) * sizeof *y);
    if (!y) return fail_nomem(r);
    f->y = y;
    f->target.name = knob_strdup(col_name(r, t));
    if (!f->target.name) return fail_nomem(r);
    if (c->kind == KIND_CAT) { /* string classes, sorted bytewise */
        size_t k = c->levels.n;
        named_code *nc = malloc((k ? k : 1) * sizeof *nc);
        size_t *order = malloc((k ? k : 1) * sizeof *order), *rank = malloc((k ? k : 1) * sizeof *rank);
        int ok = nc && order && rank;
        if (ok) {
            for (size_t a = 0; a < k; a++) nc[a] = (named_code){strtab_str(&c->levels, a), a};
            qsort(nc, k, sizeof *nc, cmp_named);
            for (size_t a = 0; a < k; a++) order[a] = nc[a].code, rank[nc[a].code] = a;
            for (size_t i = 0; i < n; i++) y[i] = (double)rank[(size_t)col[i]];
            ok = (f->target.levels = levels_from(&c->levels, order, k)) != NULL;
        }
        free(nc);
        free(order);
        free(rank);
        if (!ok) return fail_nomem(r);
        f->target.n_levels = k;
        f->target.kind = KNOB_COL_CATEGORICAL;
        f->task = KNOB_TASK_CLASSIFICATION;
        return KNOB_OK;
    }
    memcpy(y, col, n * sizeof *y);
    size_t k = 0;
    double *v;
    int task = numeric_target(y, n, o->task, o->max_classes ? o->max_classes : KNOB_CSV_MAX_CLASSES, &v, &k);
    if (task < 0) return fail_nomem(r);
    f->task = task;
    if (task == KNOB_TASK_REGRESSION) return KNOB_OK;
    char **lv = calloc(k ? k : 1, sizeof *lv);
    if (!lv) {
        free(v);
        return fail_nomem(r);
    }
    f->target.levels = lv;
    f->target.kind = KNOB_COL_CATEGORICAL;
    for (size_t a = 0; a < k; a++) {
        char buf[32];
        size_t len = knob_csv_format_double(v[a], buf);
        if (!(lv[a] = malloc(len + 1))) {
            free(v);
            return fail_nomem(r);
        }
        memcpy(lv[a], buf, len + 1);
        f->target.n_levels = a + 1;
    }
    for (size_t i = 0; i < n; i++) { /* binary search: the code of y[i] */
        size_t lo = 0, hi = k - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (v[mid] < y[i]) lo = mid + 1;
            else hi = mid;
        }
        y[i] = (double)lo;
    }
    free(v);
    return KNOB_OK;
}

/* Checks after pass 1: infinities in numeric columns; a non-numeric regression target. */
static int check_kinds(reader *r, const knob_csv_opts *o)
{
    for (size_t j = 0; j < r->nc; j++) {
        colstate *c = &r->cols[j];
        char ex[48];
        if (c->kind == KIND_NUM && c->inf_line)
            return fail(r, KNOB_EPARSE, c->inf_line, j,
                        "infinite value '%s' in a numeric column (knob holds finite numbers; write a missing "
                        "value as an empty field or NA)",
                        excerpt(ex, c->inf_s, c->inf_n));
        if (j == r->target && c->kind == KIND_CAT && o->task == KNOB_TASK_REGRESSION)
            return fail(r, KNOB_EPARSE, c->flip_line, j, "the target is not numeric ('%s'), so it cannot be a regression target",
                        excerpt(ex, c->flip_s, c->flip_n));
    }
    return KNOB_OK;
}

/* Build the dataset from the parsed block (takes the block). */
static knob_dataset *assemble(reader *r, const knob_csv_opts *o)
{
    size_t n = r->rows, p = r->nc - (r->target != NO_COL);
    knob_dataset *ds = knob_dataset_new(n, p, KNOB_TASK_NONE, 0, r->err);
    if (!ds) return NULL;
    knob_frame *f = ds->frame;
    if (r->target != NO_COL && build_target(r, o, f)) goto fail;
    size_t k = 0;
    for (size_t j = 0; j < r->nc; j++) {
        if (j == r->target) continue;
        colstate *c = &r->cols[j];
        knob_column *fc = &f->cols[k];
        if (knob_dataset_set_name(ds, k, col_name(r, j), r->err)) goto fail;
        fc->n_missing = c->n_missing;
        if (c->kind == KIND_CAT) {
            if (!(fc->levels = levels_from(&c->levels, NULL, c->levels.n))) goto nomem;
            fc->n_levels = c->levels.n;
            fc->kind = KNOB_COL_CATEGORICAL;
        }
        memmove(r->block + k * n, r->block + j * r->cap, n * sizeof(double)); /* k*n <= j*cap: in place */
        k++;
    }
    if (p) {
        double *x = realloc(r->block, n * p * sizeof *x);
        if (x) r->block = x;
        free(f->X);
        f->X = r->block;
        r->block = NULL;
    }
    return ds;
nomem:
    fail_nomem(r);
fail:
    knob_dataset_free(&ds);
    return NULL;
}

static void reader_free(reader *r)
{
    if (r->cols)
        for (size_t j = 0; j < r->nc; j++) strtab_free(&r->cols[j].levels);
    free(r->cols);
    strtab_free(&r->names);
    free(r->block);
    free(r->unesc.p);
    free(r->tmp.p);
}

void knob_csv_opts_init(knob_csv_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* Parse buf[0..len-1]; buf[len] must be '\0'. */
static knob_dataset *parse_terminated(const char *buf, size_t len, const char *name, const knob_csv_opts *opts,
                                      knob_err *err)
{
    knob_csv_opts defaults;
    knob_err local;
    if (!err) err = &local; /* the reader returns err->code internally */
    if (!opts) {
        knob_csv_opts_init(&defaults);
        opts = &defaults;
    }
    if (!name) name = "<string>";
    if (check_opts(opts, name, err)) return NULL;
    reader r;
    memset(&r, 0, sizeof r);
    r.name = name;
    r.end = buf + len;
    r.p = buf;
    r.line = 1;
    r.err = err;
    r.point = locale_point();
    r.na_extra = opts->na_values;
    r.target = NO_COL;
    knob_dataset *ds = NULL;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) r.p += 3;
    if (rest_blank(r.p, r.end)) {
        knob_err_set(err, KNOB_EPARSE, "%s: empty file (no header row)", name);
        goto done;
    }
    r.delim = opts->delimiter ? opts->delimiter : detect_delimiter(r.p, r.end);
    r.stop[(unsigned char)r.delim] = r.stop['\n'] = r.stop['\r'] = r.stop['\0'] = 1;
    if (read_header(&r)) goto done;
    if (!(r.cols = calloc(r.nc, sizeof *r.cols))) {
        fail_nomem(&r);
        goto done;
    }
    if (resolve_columns(&r, opts)) goto done;
    if (rest_blank(r.p, r.end)) {
        knob_err_set(err, KNOB_EPARSE, "%s: no data rows (only a header)", name);
        goto done;
    }
    size_t lf = 0;
    for (const char *q = r.p; (q = memchr(q, '\n', (size_t)(r.end - q))) != NULL; q++) lf++;
    r.cap = lf + 1;
    if (r.cap > SIZE_MAX / sizeof(double) / r.nc || !(r.block = malloc(r.cap * r.nc * sizeof(double)))) {
        fail_nomem(&r);
        goto done;
    }
    const char *data = r.p;
    size_t data_line = r.line;
    if (pass_numbers(&r) || check_kinds(&r, opts)) goto done;
    int any_cat = 0;
    for (size_t j = 0; j < r.nc; j++) any_cat |= r.cols[j].kind == KIND_CAT;
    if (any_cat && pass_levels(&r, data, data_line)) goto done;
    ds = assemble(&r, opts);
done:
    reader_free(&r);
    return ds;
}

knob_dataset *knob_csv_parse(const char *data, size_t len, const char *name, const knob_csv_opts *opts,
                             knob_err *err)
{
    if (!data && len) {
        knob_err_set(err, KNOB_EINVAL, "%s: no data", name ? name : "<string>");
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        knob_err_set(err, KNOB_ENOMEM, "%s: out of memory (%zu bytes)", name ? name : "<string>", len + 1);
        return NULL;
    }
    if (len) memcpy(buf, data, len);
    buf[len] = '\0';
    knob_dataset *ds = parse_terminated(buf, len, name, opts, err);
    free(buf);
    return ds;
}

knob_dataset *knob_csv_read(const char *path, const knob_csv_opts *opts, knob_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        knob_err_set(err, KNOB_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    /* A first chunk, then (a regular file, not a directory or a device) the rest, sized by ftell. */
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    int bad = 0;
    for (int first = 1; buf; first = 0) {
        len += fread(buf + len, 1, cap - len - 1, fp);
        if ((bad = ferror(fp)) != 0 || len + 1 < cap) break;
        size_t want = cap * 2;
        if (first && fseek(fp, 0, SEEK_END) == 0) {
            long sz = ftell(fp);
            if (fseek(fp, (long)len, SEEK_SET) != 0) {
                bad = 1;
                break;
            }
            if (sz > 0 && (size_t)sz + 2 > want) want = (size_t)sz + 2; /* +2: see EOF; the NUL */
        }
        char *b = realloc(buf, want);
        if (!b) free(buf);
        buf = b;
        cap = want;
    }
    int e = errno;
    fclose(fp);
    if (!buf) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory reading '%s'", path);
        return NULL;
    }
    if (bad) {
        free(buf);
        knob_err_set(err, KNOB_EIO, "cannot read '%s': %s", path, strerror(e));
        return NULL;
    }
    buf[len] = '\0';
    knob_dataset *ds = parse_terminated(buf, len, path, opts, err);
    free(buf);
    return ds;
}
