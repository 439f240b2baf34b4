/*
 * serve/audit.c - the hash-chained audit log (serve/identity.h).
 *
 * Record k is chained to record k-1:
 *
 *   hash_k = BLAKE2b-256(hash_{k-1} || "genesis-audit-1" || enc(record k))
 *
 * with hash_0 = 32 zero bytes. enc is unambiguous: seq, time (IEEE-754
 * bits) and token id as 8 big-endian bytes each, then user, action,
 * object, result, detail, remote each as 0x00 (NULL) or 0x01, a 4-byte
 * big-endian length and the bytes. Including seq means a record moved to
 * another position no longer matches; audit_head (seq and hash of the
 * newest record) means that removing the newest records is detected too.
 *
 * The chain is tamper-EVIDENT against edits that do not recompute every
 * later hash and the head; someone who can write the database can rewrite
 * the whole chain. Copying the head elsewhere from time to time (a log
 * shipper, a printout) closes that gap; docs/serve.md says so.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "serve/identity.h"
#include "store/store_serve.h"

#define HASH_LEN crypto_generichash_BYTES
#define DOMAIN "genesis-audit-1"

static void put_u64(crypto_generichash_state *h, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    crypto_generichash_update(h, b, sizeof b);
}

static void put_str(crypto_generichash_state *h, const char *s)
{
    unsigned char b[5];
    size_t n;
    if (!s) {
        b[0] = 0;
        crypto_generichash_update(h, b, 1);
        return;
    }
    n = strlen(s);
    b[0] = 1;
    b[1] = (unsigned char)(n >> 24);
    b[2] = (unsigned char)(n >> 16);
    b[3] = (unsigned char)(n >> 8);
    b[4] = (unsigned char)n;
    crypto_generichash_update(h, b, sizeof b);
    crypto_generichash_update(h, (const unsigned char *)s, n);
}

/* prev_hex "" (the first record) or 64 hex digits. */
gn_status gn__audit_chain(const char *prev_hex, const gn_audit_rec *rec, char out_hex[65],
                          gn_err *err)
{
    unsigned char prev[HASH_LEN], out[HASH_LEN];
    crypto_generichash_state h;
    size_t got = 0;
    uint64_t tbits;

    if (gn__sodium_ready() != 0)
        return gn_err_set(err, GN_ERR_INTERNAL, "libsodium could not be initialised");
    memset(prev, 0, sizeof prev);
    if (prev_hex && *prev_hex &&
        (sodium_hex2bin(prev, sizeof prev, prev_hex, strlen(prev_hex), NULL, &got, NULL) != 0 ||
         got != sizeof prev))
        return gn_err_set(err, GN_ERR_DATA, "audit: the previous hash is not 64 hex digits");
    memcpy(&tbits, &rec->time, sizeof tbits);
    crypto_generichash_init(&h, NULL, 0, HASH_LEN);
    crypto_generichash_update(&h, prev, sizeof prev);
    crypto_generichash_update(&h, (const unsigned char *)DOMAIN, sizeof DOMAIN - 1);
    put_u64(&h, (uint64_t)rec->seq);
    put_u64(&h, tbits);
    put_u64(&h, (uint64_t)rec->token_id);
    put_str(&h, rec->user);
    put_str(&h, rec->action);
    put_str(&h, rec->object);
    put_str(&h, rec->result);
    put_str(&h, rec->detail);
    put_str(&h, rec->remote);
    crypto_generichash_final(&h, out, sizeof out);
    sodium_bin2hex(out_hex, 65, out, sizeof out);
    return GN_OK;
}

static void rec_from_event(const gn_audit_event *ev, gn_audit_rec *r)
{
    memset(r, 0, sizeof *r);
    /* the store copies (and bounds) the strings; these are borrowed */
    r->user = (char *)ev->user;
    r->token_id = ev->token_id;
    r->action = (char *)ev->action;
    r->object = (char *)ev->object;
    r->result = (char *)ev->result;
    r->detail = (char *)ev->detail;
    r->remote = (char *)ev->remote;
}

gn_status gn_audit_append(gn_store *s, const gn_audit_event *ev, gn_err *err)
{
    gn_audit_rec r;
    if (!s || !ev)
        return gn_err_set(err, GN_ERR_INVALID, "gn_audit_append: invalid argument");
    rec_from_event(ev, &r);
    return gn_store_audit_append(s, &r, gn__audit_chain, err);
}

/* The write hook of gn_audit_defer_begin: ctx is the borrowed event. */
static gn_status defer_hook(gn_store *s, void *ctx, gn_err *err)
{
    gn_audit_rec r;
    gn_status st;
    rec_from_event(ctx, &r);
    st = gn_store_audit_append_in_hook(s, &r, gn__audit_chain, err);
    if (st != GN_OK)
        gn_err_prefix(err, "the audit record could not be written, nothing was changed");
    return st;
}

void gn_audit_defer_begin(gn_store *s, const gn_audit_event *ev)
{
    if (s && ev)
        gn_store_set_write_hook(s, defer_hook, (void *)ev);
}

void gn_audit_defer_end(gn_store *s)
{
    if (s)
        gn_store_set_write_hook(s, NULL, NULL);
}

/* ---- verification ----------------------------------------------------- */

typedef struct verify_state {
    int64_t expect;    /* the seq the next record must have */
    int64_t checked;   /* records found intact */
    int64_t bad;       /* first bad seq, 0 while none */
    char prev[65];     /* hash of the last intact record ("" before the first) */
    char why[512];
    int64_t anchor_seq; /* 0: no anchor */
    const char *anchor_hash;
} verify_state;

static gn_status verify_one(void *ctx, const gn_audit_rec *rec, gn_err *err)
{
    verify_state *v = ctx;
    char want[65];
    gn_status st;

    if (rec->seq != v->expect) {
        v->bad = v->expect;
        if (rec->seq > v->expect)
            snprintf(v->why, sizeof v->why,
                     "record %lld was removed (after record %lld comes record %lld)",
                     (long long)v->expect, (long long)(v->expect - 1), (long long)rec->seq);
        else
            snprintf(v->why, sizeof v->why, "record %lld is out of order (found seq %lld)",
                     (long long)v->expect, (long long)rec->seq);
        return GN_ERR_DATA; /* stops the scan; not an error of the scan */
    }
    st = gn__audit_chain(v->prev, rec, want, err);
    if (st != GN_OK)
        return st;
    if (sodium_memcmp(want, rec->hash, 64) != 0 || strlen(rec->hash) != 64) {
        v->bad = rec->seq;
        snprintf(v->why, sizeof v->why,
                 "record %lld was changed or moved: its hash does not match its contents and "
                 "the hash of record %lld",
                 (long long)rec->seq, (long long)(rec->seq - 1));
        return GN_ERR_DATA;
    }
    if (rec->seq == v->anchor_seq && sodium_memcmp(rec->hash, v->anchor_hash, 64) != 0) {
        v->bad = rec->seq;
        snprintf(v->why, sizeof v->why,
                 "record %lld does not have the anchored hash: the log was rewritten from record "
                 "%lld or before (its chain is consistent, so every hash was recomputed)",
                 (long long)rec->seq, (long long)rec->seq);
        return GN_ERR_DATA;
    }
    memcpy(v->prev, rec->hash, sizeof v->prev);
    v->expect++;
    v->checked++;
    return GN_OK;
}

gn_status gn_audit_verify(gn_store *s, int64_t *bad_seq, int64_t *checked, gn_err *err)
{
    return gn_audit_verify_anchored(s, 0, NULL, bad_seq, checked, NULL, NULL, err);
}

gn_status gn_audit_verify_anchored(gn_store *s, int64_t anchor_seq, const char *anchor_hash,
                                   int64_t *bad_seq, int64_t *checked, int64_t *head_seq_out,
                                   char *head_hash_out, gn_err *err)
{
    verify_state v;
    int64_t head_seq = 0, last;
    char head_hex[65];
    gn_status st;

    if (bad_seq)
        *bad_seq = 0;
    if (checked)
        *checked = 0;
    if (head_seq_out)
        *head_seq_out = 0;
    if (head_hash_out)
        head_hash_out[0] = '\0';
    if (!s)
        return gn_err_set(err, GN_ERR_INVALID, "gn_audit_verify: no store");
    if (anchor_seq < 0 || (anchor_seq > 0 && (!anchor_hash || strlen(anchor_hash) != 64)))
        return gn_err_set(err, GN_ERR_INVALID,
                          "an audit anchor is a record number and its 64-character hash");
    memset(&v, 0, sizeof v);
    v.expect = 1;
    v.anchor_seq = anchor_seq;
    v.anchor_hash = anchor_hash;
    st = gn_store_audit_scan(s, &head_seq, head_hex, verify_one, &v, err);
    if (st != GN_OK && !v.bad)
        return st;
    gn_err_clear(err);
    last = v.expect - 1; /* the newest intact record */
    if (!v.bad) {
        if (head_seq > last) {
            v.bad = last + 1;
            snprintf(v.why, sizeof v.why,
                     "record %lld was removed: the log ends at record %lld but its head says "
                     "%lld",
                     (long long)v.bad, (long long)last, (long long)head_seq);
        } else if (head_seq < last) {
            v.bad = head_seq + 1;
            snprintf(v.why, sizeof v.why,
                     "record %lld is past the audit head (%s%lld): the head was rolled back or "
                     "records were added outside the log",
                     (long long)v.bad, head_seq ? "seq " : "missing, ", (long long)head_seq);
        } else if (last > 0 && strcmp(head_hex, v.prev)) {
            v.bad = last;
            snprintf(v.why, sizeof v.why,
                     "record %lld was changed: its hash does not match the audit head",
                     (long long)last);
        }
    }
    if (!v.bad && anchor_seq > last) {
        v.bad = anchor_seq;
        snprintf(v.why, sizeof v.why,
                 "the anchored record %lld is not there: the log ends at record %lld",
                 (long long)anchor_seq, (long long)last);
    }
    if (!v.bad) {
        if (head_seq_out)
            *head_seq_out = last;
        if (head_hash_out)
            memcpy(head_hash_out, v.prev, sizeof v.prev);
    }
    /* records verified before the bad one (a bad head can sit below them) */
    if (checked)
        *checked = v.bad && v.bad - 1 < v.checked ? v.bad - 1 : v.checked;
    if (!v.bad)
        return GN_OK;
    if (bad_seq)
        *bad_seq = v.bad;
    return gn_err_set(err, GN_ERR_DATA, "audit log: %s", v.why);
}
