/*
 * serve/handles.c - the cache of open campaign handles.
 *
 * A gn_campaign holds the planner's state, which is expensive to rebuild,
 * and is not thread-safe. The service keeps at most one handle per
 * campaign, each with its own database connection and a mutex held for
 * the whole of a call on it. Every acquire refreshes the campaign record
 * (another process may have paused it). Unused handles beyond max_open
 * are closed, least recently used first.
 *
 * Lock order: the cache lock, then never a handle's mutex while holding
 * it (a handle is pinned by refs, then locked outside the cache lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "campaign/service.h"
#include "core/timeutil.h"
#include "serve/http.h"

struct gn__handles {
    pthread_mutex_t mu;
    char *db_path;
    size_t max_open, n_open;
    gn__chandle *head;
};

gn__handles *gn__handles_new(const char *db_path, size_t max_open)
{
    gn__handles *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->db_path = strdup(db_path);
    if (!h->db_path) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->max_open = max_open ? max_open : 64;
    return h;
}

static void chandle_free(gn__chandle *ch)
{
    gn_campaign_close(ch->c);
    gn_db_close(ch->db);
    pthread_mutex_destroy(&ch->mu);
    free(ch);
}

void gn__handles_free(gn__handles *h)
{
    gn__chandle *ch, *next;
    if (!h)
        return;
    for (ch = h->head; ch; ch = next) {
        next = ch->next;
        chandle_free(ch);
    }
    pthread_mutex_destroy(&h->mu);
    free(h->db_path);
    free(h);
}

/* Unlinks and returns unused handles over the limit (cache lock held). */
static gn__chandle *evict_locked(gn__handles *h)
{
    gn__chandle *out = NULL;
    while (h->n_open > h->max_open) {
        gn__chandle **pp, **victim = NULL;
        for (pp = &h->head; *pp; pp = &(*pp)->next)
            if ((*pp)->refs == 0 && (!victim || (*pp)->last_used < (*victim)->last_used))
                victim = pp;
        if (!victim)
            break;
        {
            gn__chandle *v = *victim;
            *victim = v->next;
            v->next = out;
            out = v;
            h->n_open--;
        }
    }
    return out;
}

static void free_list(gn__chandle *l)
{
    while (l) {
        gn__chandle *next = l->next;
        chandle_free(l);
        l = next;
    }
}

/* Drops one reference; a broken handle with none left is removed. */
static void unref(gn__handles *h, gn__chandle *ch)
{
    gn__chandle *dead = NULL, **pp;
    pthread_mutex_lock(&h->mu);
    ch->refs--;
    ch->last_used = gn_time_mono();
    if (ch->broken && ch->refs == 0) {
        for (pp = &h->head; *pp; pp = &(*pp)->next)
            if (*pp == ch) {
                *pp = ch->next;
                h->n_open--;
                dead = ch;
                dead->next = NULL;
                break;
            }
    }
    {
        gn__chandle *ev = evict_locked(h);
        pthread_mutex_unlock(&h->mu);
        free_list(ev);
    }
    if (dead)
        chandle_free(dead);
}

gn_status gn__handles_acquire(gn__handles *h, const char *name, gn__chandle **out, gn_err *err)
{
    gn__chandle *ch;
    gn_status st = GN_OK;

    *out = NULL;
    pthread_mutex_lock(&h->mu);
    for (ch = h->head; ch; ch = ch->next)
        if (!ch->broken && !strcmp(ch->name, name))
            break;
    if (!ch) {
        ch = calloc(1, sizeof *ch);
        if (!ch) {
            pthread_mutex_unlock(&h->mu);
            return gn_err_nomem(err);
        }
        snprintf(ch->name, sizeof ch->name, "%s", name);
        pthread_mutex_init(&ch->mu, NULL);
        ch->next = h->head;
        h->head = ch;
        h->n_open++;
    }
    ch->refs++;
    pthread_mutex_unlock(&h->mu);

    pthread_mutex_lock(&ch->mu);
    if (!ch->c) {
        if (!ch->db) {
            st = gn_db_open(h->db_path, &ch->db);
            if (st != GN_OK) {
                gn_err_set(err, st, "%s", gn_db_errmsg(ch->db));
                gn_db_close(ch->db);
                ch->db = NULL;
                goto fail;
            }
        }
        st = gn_campaign_open(ch->db, name, &ch->c);
        if (st != GN_OK) {
            gn_err_set(err, st, "%s", gn_db_errmsg(ch->db));
            ch->c = NULL;
            goto fail;
        }
    } else {
        st = gn__campaign_refresh(ch->c);
        if (st != GN_OK) {
            gn_err_set(err, st, "%s", gn_campaign_errmsg(ch->c));
            goto fail;
        }
    }
    *out = ch;
    return GN_OK;
fail:
    /* a campaign that cannot be opened or refreshed is not kept */
    ch->broken = 1;
    pthread_mutex_unlock(&ch->mu);
    unref(h, ch);
    return st;
}

void gn__handles_release(gn__handles *h, gn__chandle *ch)
{
    if (!ch)
        return;
    pthread_mutex_unlock(&ch->mu);
    unref(h, ch);
}

gn_status gn__handles_new_db(gn__handles *h, gn_db **db, gn_err *err)
{
    gn_status st = gn_db_open(h->db_path, db);
    if (st != GN_OK) {
        gn_err_set(err, st, "%s", gn_db_errmsg(*db));
        gn_db_close(*db);
        *db = NULL;
    }
    return st;
}

gn__chandle *gn__handles_adopt(gn__handles *h, gn_db *db, gn_campaign *c)
{
    gn__chandle *ch, *existing;

    ch = calloc(1, sizeof *ch);
    if (!ch) {
        gn_campaign_close(c);
        gn_db_close(db);
        return NULL;
    }
    snprintf(ch->name, sizeof ch->name, "%s", gn_campaign_name(c));
    pthread_mutex_init(&ch->mu, NULL);
    ch->db = db;
    ch->c = c;
    ch->refs = 1;
    pthread_mutex_lock(&h->mu);
    for (existing = h->head; existing; existing = existing->next)
        if (!existing->broken && !strcmp(existing->name, ch->name))
            break;
    if (existing) {
        /* someone looked the new name up first: theirs wins */
        pthread_mutex_unlock(&h->mu);
        chandle_free(ch);
        return NULL;
    }
    ch->next = h->head;
    h->head = ch;
    h->n_open++;
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_lock(&ch->mu);
    return ch;
}
