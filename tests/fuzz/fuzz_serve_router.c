/*
 * fuzz_serve_router.c - libFuzzer target for the route matching and path
 * decoding of `genesis serve` (src/serve/router.c).
 *
 * Input: the method up to the first '\n', then the raw request path.
 * Any input must end in a match whose parameters are valid names or ids,
 * or a clean 400, 404 or 405 (with Allow) whose error body is JSON.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *nl, *path;
    const char *method;
    gn__match m;
    gn__req_error e;
    size_t i;

    memcpy(text, data, size);
    text[size] = '\0';
    nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
        method = text;
        path = nl + 1;
    } else {
        method = "GET";
        path = text;
    }
    if (gn__route_match(method, path, &m, &e) == 0) {
        check(m.route != NULL);
        check(!strcmp(m.route->method, method) ||
              (!strcmp(method, "HEAD") && !strcmp(m.route->method, "GET")));
        for (i = 0; i < m.n_params; i++) {
            size_t len = strlen(m.params[i]);
            check(len >= 1 && len <= GN_HTTP_SEGMENT_MAX);
            check(gn__name_valid(m.params[i], len) || (m.id > 0 && m.id <= ((int64_t)1 << 53)));
            check(strcmp(m.params[i], "..") && strcmp(m.params[i], "."));
            check(!strchr(m.params[i], '/'));
        }
    } else {
        char *body = gn__error_json(&e);
        json_t *j;
        check(e.status == 400 || e.status == 404 || e.status == 405 || e.status == 500);
        check(e.status != 405 || m.allow[0] != '\0');
        check(body != NULL);
        j = json_loads(body, 0, NULL);
        check(j != NULL);
        json_decref(j);
        free(body);
    }
    /* the decoder alone: never longer, never a NUL */
    {
        char *dst = malloc(size + 1);
        long n = gn__percent_decode(text, strlen(text), dst);
        check(n < 0 || ((size_t)n <= strlen(text) && strlen(dst) == (size_t)n));
        free(dst);
    }
    free(text);
    return 0;
}
