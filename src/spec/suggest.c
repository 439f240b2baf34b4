/*
 * spec/suggest.c - "did you mean ...?" for unknown keys, names and values.
 */
#include <ctype.h>
#include <string.h>

#include "spec/internal.h"

#define WORD_MAX 64 /* longer words get no suggestion */

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), case-insensitive. Both lengths are <= WORD_MAX. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t d[WORD_MAX + 1][WORD_MAX + 1];
    size_t i, j;

    for (i = 0; i <= na; i++)
        d[i][0] = i;
    for (j = 0; j <= nb; j++)
        d[0][j] = j;
    for (i = 1; i <= na; i++) {
        for (j = 1; j <= nb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

const char *gn__suggest(const char *word, const char *const *cands, size_t n_cands)
{
    size_t nw = strlen(word), i, best_d = (size_t)-1;
    const char *best = NULL;

    if (nw == 0 || nw > WORD_MAX)
        return NULL;
    for (i = 0; i < n_cands; i++) {
        size_t nc = strlen(cands[i]), d, longer, allowed;
        if (nc > WORD_MAX)
            continue;
        d = distance(word, nw, cands[i], nc);
        longer = nw > nc ? nw : nc;
        /* about one typo per three characters; none in a one- or two-letter
         * word, where any other short word would be "close" */
        allowed = longer <= 2 ? 0 : longer <= 5 ? 1 : longer / 3;
        if (d <= allowed && d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}
