/*
 * spec/reader.c - YAML and JSON text into a node tree with line:column.
 *
 * libyaml's event parser drives a small explicit stack (no recursion while
 * reading), so nesting is bounded by GN_SPEC_MAX_DEPTH before any node is
 * allocated for it. JSON is validated with jansson first (strict JSON,
 * duplicate keys rejected, precise syntax errors) and then read by the same
 * libyaml code: JSON is a subset of YAML flow syntax once tabs outside
 * strings are spaces and UTF-16 surrogate pair escapes are YAML \U escapes.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/alloc.h"
#include "spec/internal.h"

typedef struct frame {
    gn__node *node;
    size_t raw; /* items appended so far (maps: 2 per entry) */
} frame;

typedef struct builder {
    const char *source;
    gn_err *err;
    gn__node *root;
    frame stack[GN_SPEC_MAX_DEPTH];
    int depth;
    int n_docs;
} builder;

void gn__node_free(gn__node *node)
{
    size_t i, n;
    if (!node)
        return;
    if (node->kind != GN__NODE_SCALAR) {
        /* during a failed build n is not final: free every item there is */
        n = node->cap;
        for (i = 0; i < n; i++)
            gn__node_free(node->items[i]);
        gn_free(node->items);
    }
    gn_free(node->text);
    gn_free(node);
}

char *gn__spec_quote(const char *s, size_t len, size_t max, char *buf, size_t size)
{
    size_t i, o = 0;
    if (size == 0)
        return buf;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i >= max || o + 8 >= size) {
            if (o + 4 <= size) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (ch < 0x20 || ch == 0x7f) {
            snprintf(buf + o, size - o, "\\x%02x", ch);
            o += 4;
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* Writes the path of the node being read ("parameters[2].low") into buf;
 * `extra_key` (may be NULL) is appended as a further key. */
static void path_of(const builder *b, const char *extra_key, char *buf, size_t size)
{
    size_t o = 0;
    int i;
    char q[80];

    buf[0] = '\0';
    for (i = 0; i < b->depth && o < size; i++) {
        const frame *f = &b->stack[i];
        /* frames below the top are inside their last item; the top one is
         * about to take a new item */
        int open = i < b->depth - 1;
        if (f->node->kind == GN__NODE_SEQ) {
            o += (size_t)snprintf(buf + o, size - o, "[%zu]", f->raw - (open ? 1 : 0));
        } else if (open || f->raw % 2 == 1) {
            const gn__node *k = f->node->items[open ? f->raw - 2 : f->raw - 1];
            gn__spec_quote(k->text, k->len, 60, q, sizeof q);
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "." : "", q);
        } else {
            break; /* reading a key: the path is the mapping's */
        }
    }
    if (extra_key && o < size)
        snprintf(buf + o, size - o, "%s%s", o ? "." : "", extra_key);
    if (!buf[0])
        snprintf(buf, size, "(top level)");
}

static gn_status fail(builder *b, gn_status st, const yaml_mark_t *mark, const char *extra_key,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Sets the error "source:line:col: path: message" at `mark`. */
static gn_status fail(builder *b, gn_status st, const yaml_mark_t *mark, const char *extra_key,
                      const char *fmt, ...)
{
    char path[512], msg[1024];
    va_list ap;

    path_of(b, extra_key, path, sizeof path);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gn_err_set(b->err, st, "%s:%zu:%zu: %s: %s", b->source, mark->line + 1,
                      mark->column + 1, path, msg);
}

/* Line and column (1-based, in characters) of byte `offset` of text. */
static void position_of(const char *text, size_t len, size_t offset, size_t *line, size_t *col)
{
    size_t i;
    *line = 1;
    *col = 1;
    for (i = 0; i < offset && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            (*line)++;
            *col = 1;
        } else if ((ch & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static gn_status syntax_error(builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
    size_t line, col;

    if (p->error == YAML_MEMORY_ERROR)
        return gn_err_nomem(b->err);
    if (p->error == YAML_READER_ERROR) {
        position_of(text, len, p->problem_offset, &line, &col);
        return gn_err_set(b->err, GN_ERR_SPEC, "%s:%zu:%zu: syntax error: %s", b->source, line,
                          col, p->problem ? p->problem : "cannot read the text");
    }
    if (p->context)
        return gn_err_set(b->err, GN_ERR_SPEC,
                          "%s:%zu:%zu: syntax error: %s (%s at line %zu, column %zu)", b->source,
                          p->problem_mark.line + 1, p->problem_mark.column + 1,
                          p->problem ? p->problem : "invalid YAML", p->context,
                          p->context_mark.line + 1, p->context_mark.column + 1);
    return gn_err_set(b->err, GN_ERR_SPEC, "%s:%zu:%zu: syntax error: %s", b->source,
                      p->problem_mark.line + 1, p->problem_mark.column + 1,
                      p->problem ? p->problem : "invalid YAML");
}

static gn__node *node_new(gn__node_kind kind, const yaml_event_t *ev)
{
    gn__node *n = gn_calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    n->index = ev->start_mark.index;
    n->end_line = (int)ev->end_mark.line + 1;
    n->end_index = ev->end_mark.index;
    return n;
}

/* Checks a new node against its place (key rules) and appends it to the
 * open container, or makes it the root. On failure the node is not
 * attached (the caller frees it). */
static gn_status attach(builder *b, gn__node *node, const yaml_event_t *ev)
{
    frame *f;
    gn__node *parent, **items;
    size_t i, cap;
    char q[80];

    if (b->depth == 0) {
        b->root = node;
        return GN_OK;
    }
    f = &b->stack[b->depth - 1];
    parent = f->node;
    if (parent->kind == GN__NODE_MAP && f->raw % 2 == 0) {
        if (node->kind != GN__NODE_SCALAR)
            return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                        "keys must be plain strings, not a %s",
                        node->kind == GN__NODE_MAP ? "mapping" : "sequence");
        gn__spec_quote(node->text, node->len, 60, q, sizeof q);
        if (!node->quoted && node->len == 2 && memcmp(node->text, "<<", 2) == 0)
            return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                        "merge keys (<<) are not supported; write the keys out");
        if (f->raw / 2 >= GN__SPEC_MAX_KEYS)
            return fail(b, GN_ERR_LIMIT, &ev->start_mark, NULL,
                        "a mapping has more than the limit of %d keys", GN__SPEC_MAX_KEYS);
        for (i = 0; i < f->raw; i += 2) {
            const gn__node *k = parent->items[i];
            if (k->len == node->len && memcmp(k->text, node->text, k->len) == 0)
                return fail(b, GN_ERR_SPEC, &ev->start_mark, q,
                            "duplicate key (first at line %d, column %d)", k->line, k->col);
        }
    }
    if (f->raw == parent->cap) {
        cap = parent->cap ? parent->cap * 2 : 8;
        items = gn_reallocarray(parent->items, cap, sizeof *items);
        if (!items)
            return gn_err_nomem(b->err);
        memset(items + parent->cap, 0, (cap - parent->cap) * sizeof *items);
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[f->raw++] = node;
    return GN_OK;
}

/* Rejects what the spec format leaves out of YAML: anchors and tags. */
static gn_status check_props(builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                             const yaml_char_t *tag)
{
    char q[80];
    if (anchor) {
        gn__spec_quote((const char *)anchor, strlen((const char *)anchor), 40, q, sizeof q);
        return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                    "anchors (&%s) are not supported; write the value out", q);
    }
    if (tag) {
        const char *t = (const char *)tag;
        int core = strncmp(t, "tag:yaml.org,2002:", 18) == 0;
        if (core)
            t += 18;
        gn__spec_quote(t, strlen(t), 40, q, sizeof q);
        return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                    "tags (%s%s) are not supported; write plain values", core ? "!!" : "", q);
    }
    return GN_OK;
}

/* One event into the tree. *done is set at the end of the stream. */
static gn_status on_event(builder *b, const yaml_event_t *ev, int *done)
{
    gn__node *node = NULL;
    gn_status st;
    char q[80];

    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *done = 1;
        return GN_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->n_docs > 1)
            return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                        "only one YAML document is allowed in a spec");
        return GN_OK;
    case YAML_ALIAS_EVENT:
        gn__spec_quote((const char *)ev->data.alias.anchor,
                       strlen((const char *)ev->data.alias.anchor), 40, q, sizeof q);
        return fail(b, GN_ERR_SPEC, &ev->start_mark, NULL,
                    "aliases (*%s) are not supported; write the value out", q);
    case YAML_SCALAR_EVENT:
        st = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
        if (st)
            return st;
        if (ev->data.scalar.length > GN_SPEC_MAX_STRING)
            return fail(b, GN_ERR_LIMIT, &ev->start_mark, NULL,
                        "string of %zu bytes is longer than the limit of %d bytes "
                        "(GN_SPEC_MAX_STRING)",
                        ev->data.scalar.length, GN_SPEC_MAX_STRING);
        node = node_new(GN__NODE_SCALAR, ev);
        if (!node)
            return gn_err_nomem(b->err);
        node->text = gn_malloc(ev->data.scalar.length + 1);
        if (!node->text) {
            gn__node_free(node);
            return gn_err_nomem(b->err);
        }
        memcpy(node->text, ev->data.scalar.value, ev->data.scalar.length);
        node->text[ev->data.scalar.length] = '\0';
        node->len = ev->data.scalar.length;
        node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        st = attach(b, node, ev);
        if (st)
            gn__node_free(node);
        return st;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (ev->type == YAML_SEQUENCE_START_EVENT)
            st = check_props(b, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
        else
            st = check_props(b, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
        if (st)
            return st;
        if (b->depth >= GN_SPEC_MAX_DEPTH)
            return fail(b, GN_ERR_LIMIT, &ev->start_mark, NULL,
                        "nesting is deeper than the limit of %d levels (GN_SPEC_MAX_DEPTH)",
                        GN_SPEC_MAX_DEPTH);
        node = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? GN__NODE_SEQ : GN__NODE_MAP, ev);
        if (!node)
            return gn_err_nomem(b->err);
        st = attach(b, node, ev);
        if (st) {
            gn__node_free(node);
            return st;
        }
        b->stack[b->depth].node = node;
        b->stack[b->depth].raw = 0;
        b->depth++;
        return GN_OK;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0) {
            frame *f = &b->stack[--b->depth];
            f->node->n = f->node->kind == GN__NODE_MAP ? f->raw / 2 : f->raw;
            f->node->end_line = (int)ev->end_mark.line + 1;
            f->node->end_index = ev->end_mark.index;
        }
        return GN_OK;
    default:
        return GN_OK;
    }
}

/* JSON text made readable by libyaml, which is stricter than JSON in a few
 * places (jansson has checked the text already):
 *  - tabs outside strings become spaces (columns stay);
 *  - a ':' after a line break that follows a key moves up to the key (YAML
 *    wants a flow key and its ':' on one line; lines stay);
 *  - \uD8xx\uDCxx pairs become \UXXXXXXXX (libyaml refuses surrogate
 *    escapes);
 *  - DEL and C1 control characters in strings, which YAML does not allow
 *    raw (or reads as line breaks: U+0085), become \x escapes, and the
 *    line breaks U+2028 and U+2029 become \u escapes.
 * The last two shift later columns of their line a little. The result is at
 * most four times as long as the text (a DEL byte becomes \x7F). */
static char *json_for_yaml(const char *text, size_t len, size_t *out_len)
{
    char *o = gn_malloc(4 * len + 1);
    size_t i, n = 0;
    int in_str = 0;

    if (!o)
        return NULL;
    for (i = 0; i < len; i++) {
        char ch = text[i];
        if (!in_str) {
            if (ch == '"')
                in_str = 1;
            if (ch == ':') {
                size_t ws = n;
                int newline = 0;
                while (ws > 0 && (o[ws - 1] == ' ' || o[ws - 1] == '\n' || o[ws - 1] == '\r')) {
                    newline |= o[ws - 1] != ' ';
                    ws--;
                }
                if (newline && ws > 0 && o[ws - 1] == '"') {
                    memmove(o + ws + 1, o + ws, n - ws);
                    o[ws] = ':';
                    n++;
                    continue;
                }
            }
            o[n++] = ch == '\t' ? ' ' : ch;
            continue;
        }
        if ((unsigned char)ch == 0xe2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
            ((unsigned char)text[i + 2] == 0xa8 || (unsigned char)text[i + 2] == 0xa9)) {
            /* U+2028, U+2029: line breaks to YAML */
            snprintf(o + n, 7, "\\u202%c", (unsigned char)text[i + 2] == 0xa8 ? '8' : '9');
            n += 6;
            i += 2;
            continue;
        }
        if ((unsigned char)ch == 0x7f ||
            ((unsigned char)ch == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
             (unsigned char)text[i + 1] <= 0x9f)) {
            /* DEL and C1 controls; U+0085 is also a line break to YAML */
            unsigned cp = (unsigned char)ch == 0x7f ? 0x7f : (unsigned char)text[++i];
            snprintf(o + n, 5, "\\x%02X", cp);
            n += 4;
            continue;
        }
        if ((unsigned char)ch == 0xef && i + 2 < len && (unsigned char)text[i + 1] == 0xbf &&
            ((unsigned char)text[i + 2] == 0xbe || (unsigned char)text[i + 2] == 0xbf)) {
            snprintf(o + n, 7, "\\uFFF%c", (unsigned char)text[i + 2] == 0xbe ? 'E' : 'F');
            n += 6;
            i += 2;
            continue;
        }
        if (ch == '"') {
            in_str = 0;
        } else if (ch == '\\' && i + 1 < len) {
            unsigned hi, lo;
            if (text[i + 1] == 'u' && i + 12 <= len && text[i + 6] == '\\' && text[i + 7] == 'u' &&
                sscanf(text + i + 2, "%4x", &hi) == 1 && sscanf(text + i + 8, "%4x", &lo) == 1 &&
                hi >= 0xD800 && hi <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) {
                unsigned cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                char tmp[12];
                snprintf(tmp, sizeof tmp, "\\U%08X", cp);
                memcpy(o + n, tmp, 10);
                n += 10;
                i += 11;
                continue;
            }
            o[n++] = ch;
            o[n++] = text[++i];
            continue;
        }
        o[n++] = ch;
    }
    o[n] = '\0';
    *out_len = n;
    return o;
}

static gn_status json_check(builder *b, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *j;
    const char *nul = memchr(text, '\0', len);
    size_t line, col;

    /* jansson skips NUL bytes in a buffer: refuse them first */
    if (nul) {
        position_of(text, len, (size_t)(nul - text), &line, &col);
        return gn_err_set(b->err, GN_ERR_SPEC, "%s:%zu:%zu: syntax error: NUL byte in the text",
                          b->source, line, col);
    }
    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j) {
        json_decref(j);
        return GN_OK;
    }
    if (json_error_code(&jerr) == json_error_out_of_memory)
        return gn_err_nomem(b->err);
    return gn_err_set(b->err, GN_ERR_SPEC, "%s:%d:%d: syntax error: %s", b->source,
                      jerr.line > 0 ? jerr.line : 1, jerr.column > 0 ? jerr.column : 1,
                      jerr.text);
}

gn_status gn__spec_tree_read(const char *text, size_t len, int is_json, const char *source,
                             gn__node **root, gn_err *err)
{
    builder b;
    yaml_parser_t parser;
    yaml_event_t ev;
    char *json = NULL;
    const char *in = text;
    size_t in_len = len;
    int parser_ready = 0, done = 0;
    gn_status st = GN_OK;

    memset(&b, 0, sizeof b);
    b.source = source;
    b.err = err;
    *root = NULL;

    if (is_json) {
        st = json_check(&b, text, len);
        if (st)
            goto out;
        json = json_for_yaml(text, len, &in_len);
        if (!json) {
            st = gn_err_nomem(err);
            goto out;
        }
        in = json;
    }
    if (!yaml_parser_initialize(&parser)) {
        st = gn_err_nomem(err);
        goto out;
    }
    parser_ready = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)in, in_len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            st = syntax_error(&b, &parser, in, in_len);
            goto out;
        }
        st = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
        if (st)
            goto out;
    }
    *root = b.root;
    b.root = NULL;
out:
    if (parser_ready)
        yaml_parser_delete(&parser);
    gn__node_free(b.root);
    gn_free(json);
    return st;
}
