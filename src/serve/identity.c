/*
 * serve/identity.c - API tokens: creation and authentication
 * (serve/identity.h).
 *
 * A token is "gns_" + the URL-safe base64 (no padding) of 32 bytes from
 * randombytes_buf: 47 characters, one textual form per token (libsodium
 * rejects non-canonical base64). The store keeps BLAKE2b-256 of the whole
 * token text and its first 12 characters; the secret itself is never
 * written anywhere. A dump of the database therefore holds nothing that
 * authenticates: inverting BLAKE2b on 256 random bits is not an option.
 *
 * Authentication checks the shape of the token first (length, prefix,
 * alphabet, canonical base64) so that junk never reaches the database,
 * then looks the hash up, compares it again in constant time
 * (sodium_memcmp), and refuses expired, revoked and disabled-user tokens
 * with the same status and message as unknown ones.
 */
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "serve/identity.h"
#include "store/store_serve.h"

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_BODY_LEN (GN_TOKEN_LEN - (sizeof GN_TOKEN_PREFIX - 1)) /* 43 */
#define TOUCH_EVERY 60.0 /* seconds between updates of a token's last_used */

_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_RANDOM_BYTES,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   TOKEN_BODY_LEN + 1,
               "GN_TOKEN_LEN matches 32 bytes in unpadded base64url");
_Static_assert(GN_STORE_TOKEN_HASH_LEN == crypto_generichash_BYTES, "BLAKE2b-256");

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;
static atomic_long ct_compares;

static void sodium_init_once(void) { sodium_status = sodium_init() < 0 ? -1 : 0; }

int gn__sodium_ready(void)
{
    pthread_once(&sodium_once, sodium_init_once);
    return sodium_status;
}

long gn__token_ct_compares(void) { return atomic_load(&ct_compares); }

static gn_status need_sodium(gn_err *err)
{
    if (gn__sodium_ready() != 0)
        return gn_err_set(err, GN_ERR_INTERNAL, "libsodium could not be initialised");
    return GN_OK;
}

void gn__token_hash(const char *token, size_t len, unsigned char out[GN_STORE_TOKEN_HASH_LEN])
{
    crypto_generichash(out, GN_STORE_TOKEN_HASH_LEN, (const unsigned char *)token,
                       (unsigned long long)len, NULL, 0);
}

int gn__token_well_formed(const char *t)
{
    unsigned char bin[TOKEN_RANDOM_BYTES];
    size_t i, n, bin_len = 0;
    int ok;

    if (!t)
        return 0;
    n = strnlen(t, GN_TOKEN_LEN + 1);
    if (n != GN_TOKEN_LEN || memcmp(t, GN_TOKEN_PREFIX, sizeof GN_TOKEN_PREFIX - 1))
        return 0;
    for (i = sizeof GN_TOKEN_PREFIX - 1; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    if (gn__sodium_ready() != 0)
        return 0;
    ok = sodium_base642bin(bin, sizeof bin, t + sizeof GN_TOKEN_PREFIX - 1, TOKEN_BODY_LEN, NULL,
                           &bin_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
         bin_len == sizeof bin;
    sodium_memzero(bin, sizeof bin);
    return ok;
}

gn_status gn_token_create(gn_store *s, const char *user, const char *name, double expires,
                          char secret_out[GN_TOKEN_LEN + 1], int64_t *token_id, gn_err *err)
{
    unsigned char raw[TOKEN_RANDOM_BYTES], hash[GN_STORE_TOKEN_HASH_LEN];
    char secret[GN_TOKEN_LEN + 1], prefix[GN_TOKEN_DISPLAY_LEN + 1];
    int64_t id = 0;
    gn_status st;

    gn_err_clear(err);
    if (!s || !user || !secret_out)
        return gn_err_set(err, GN_ERR_INVALID, "gn_token_create: invalid argument");
    if (!isfinite(expires) || expires < 0 || (expires > 0 && expires <= gn_time_wall()))
        return gn_err_set(err, GN_ERR_INVALID, "a token's expiry must be in the future");
    if ((st = need_sodium(err)) != GN_OK)
        return st;

    randombytes_buf(raw, sizeof raw);
    memcpy(secret, GN_TOKEN_PREFIX, sizeof GN_TOKEN_PREFIX - 1);
    sodium_bin2base64(secret + sizeof GN_TOKEN_PREFIX - 1, TOKEN_BODY_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    gn__token_hash(secret, GN_TOKEN_LEN, hash);
    memcpy(prefix, secret, GN_TOKEN_DISPLAY_LEN);
    prefix[GN_TOKEN_DISPLAY_LEN] = 0;

    st = gn_store_token_add(s, user, name, prefix, hash, expires, &id, err);
    if (st == GN_OK) {
        memcpy(secret_out, secret, sizeof secret);
        if (token_id)
            *token_id = id;
    }
    sodium_memzero(secret, sizeof secret);
    return st;
}

/* Copies the memberships the principal can hold; ones with a role or
 * clearance this code does not know are left out (fail closed). */
static void fill_projects(gn_principal *p, const gn_membership_rec *m, size_t n)
{
    size_t i;
    p->n_projects = 0;
    for (i = 0; i < n && p->n_projects < GN_PRINCIPAL_MAX_PROJECTS; i++) {
        struct gn_membership *d = &p->projects[p->n_projects];
        if (!m[i].project || strlen(m[i].project) >= sizeof d->project ||
            gn_role_parse(m[i].role, &d->role) || gn_class_parse(m[i].clearance, &d->clearance))
            continue;
        snprintf(d->project, sizeof d->project, "%s", m[i].project);
        p->n_projects++;
    }
}

gn_status gn_authenticate(gn_store *s, const char *bearer, gn_principal *p, gn_err *err)
{
    unsigned char hash[GN_STORE_TOKEN_HASH_LEN];
    gn_token_rec tok;
    gn_membership_rec *m = NULL;
    size_t n_m = 0;
    gn_status st;
    double now;
    int same;

    gn_err_clear(err);
    if (!p)
        return gn_err_set(err, GN_ERR_INVALID, "gn_authenticate: no principal");
    memset(p, 0, sizeof *p);
    /* shape first: junk never costs a database access */
    if (!gn__token_well_formed(bearer))
        return gn_err_set(err, GN_ERR_AUTH, "invalid token");
    if (!s)
        return gn_err_set(err, GN_ERR_INVALID, "gn_authenticate: no store");
    gn__token_hash(bearer, GN_TOKEN_LEN, hash);
    memset(&tok, 0, sizeof tok);
    st = gn_store_token_auth(s, hash, &tok, &m, &n_m, err);
    if (st == GN_ERR_NOT_FOUND)
        return gn_err_set(err, GN_ERR_AUTH, "invalid token");
    if (st != GN_OK)
        return st; /* busy, I/O: the caller answers 503, not 401 */

    /* the lookup was by hash; compare again in constant time so no code
     * path depends on a byte-by-byte comparison of secrets */
    atomic_fetch_add(&ct_compares, 1);
    same = sodium_memcmp(tok.hash, hash, sizeof hash) == 0;
    now = gn_time_wall();
    if (!same || tok.revoked > 0 || (tok.expires > 0 && now >= tok.expires) ||
        tok.user_disabled || !tok.user || strlen(tok.user) >= sizeof p->user) {
        st = gn_err_set(err, GN_ERR_AUTH, "invalid token");
        goto out;
    }
    p->user_id = tok.user_id;
    p->token_id = tok.id;
    snprintf(p->user, sizeof p->user, "%s", tok.user);
    p->server_admin = tok.user_admin != 0;
    fill_projects(p, m, n_m);
    if (now - tok.last_used >= TOUCH_EVERY) {
        gn_err ignored;
        /* bookkeeping: a busy database must not fail the request */
        (void)gn_store_token_touch(s, tok.id, now, &ignored);
    }
out:
    sodium_memzero(hash, sizeof hash);
    gn_token_rec_free(&tok);
    gn_membership_rec_array_free(m, n_m);
    if (st != GN_OK)
        memset(p, 0, sizeof *p);
    return st;
}
