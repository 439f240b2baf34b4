/*
 * spec/internal.h - what the files of the spec module share (not for other
 * modules): the positioned node tree the reader builds, did-you-mean
 * suggestions and the linear constraint parser.
 */
#ifndef GN_SPEC_INTERNAL_H
#define GN_SPEC_INTERNAL_H

#include <stddef.h>

#include "core/err.h"
#include "spec/spec.h"

/* Most keys one mapping may hold (the schema's largest mapping has 10);
 * bounds the duplicate-key check. */
#define GN__SPEC_MAX_KEYS 256

typedef enum { GN__NODE_SCALAR = 0, GN__NODE_SEQ = 1, GN__NODE_MAP = 2 } gn__node_kind;

/* One node of a YAML/JSON document. Positions are 1-based (column counted
 * in characters, as libyaml and jansson do). `index`/`end_index` are the
 * character offsets of the node's first character and one past its last,
 * `end_line` the line of its end: together they tell whether a scalar sits
 * verbatim on one line (so a column inside it can be pointed at). */
typedef struct gn__node {
    gn__node_kind kind;
    int line, col;
    int end_line;
    size_t index, end_index;
    int quoted;   /* scalar in quotes or a block scalar: always a string */
    char *text;   /* scalar: the value, NUL-terminated (may hold NULs: see len) */
    size_t len;
    /* seq: n items, items[0..n); map: n entries, entry i being items[2i]
     * (the key, a scalar) and items[2i+1] (the value) */
    struct gn__node **items;
    size_t n, cap;
} gn__node;

/* Parses `text` (YAML, or JSON when is_json) into a node tree. The root is a
 * node of any kind; an empty document gives *root = NULL with GN_OK.
 * Rejects anchors, aliases, tags, merge keys, several documents, duplicate
 * keys and non-scalar keys (GN_ERR_SPEC), nesting deeper than
 * GN_SPEC_MAX_DEPTH, strings longer than GN_SPEC_MAX_STRING and mappings
 * with more than GN__SPEC_MAX_KEYS keys (GN_ERR_LIMIT). JSON is checked
 * with jansson first. Messages are "source:line:col: field: message". The
 * caller frees *root with gn__node_free. */
gn_status gn__spec_tree_read(const char *text, size_t len, int is_json, const char *source,
                             gn__node **root, gn_err *err);

/* Checks the tree `root` (may be NULL: an empty document) against the
 * schema of docs/spec.md and fills `spec` (zeroed, with source set). On
 * failure `spec` holds what was filled so far (gn_spec_free frees it) and
 * err says "source:line:col: field: message". */
gn_status gn__spec_validate(const gn__node *root, gn_spec *spec, gn_err *err);

/* Frees a node and everything under it. NULL is a no-op. */
void gn__node_free(gn__node *node);

/* The candidate closest to `word` (edit distance with transpositions,
 * case-insensitive), or NULL when none is close enough to be a likely typo.
 * Borrowed from `cands`. Allocates nothing. */
const char *gn__suggest(const char *word, const char *const *cands, size_t n_cands);

/* Parses one linear constraint `text` (len bytes, no NULs) over the real
 * and int parameters of params[0..n_params). On success fills out->coef
 * (new array of n_params entries; the caller frees it) and out->rhs, with
 * the constraint in the form coef . x <= rhs; out->text is left alone. On
 * failure returns GN_ERR_SPEC with the message in msg (no position) and
 * *err_at set to the byte offset in text the error is about, or
 * GN_ERR_NOMEM. */
gn_status gn__constraint_parse(const char *text, size_t len, const gn_param *params,
                               size_t n_params, gn_linear_constraint *out, size_t *err_at,
                               char *msg, size_t msg_size);

/* Writes `s` (len bytes) into buf for a message: non-printable bytes as
 * \xNN, cut at about `max` characters with "...". Returns buf. */
char *gn__spec_quote(const char *s, size_t len, size_t max, char *buf, size_t size);

#endif
