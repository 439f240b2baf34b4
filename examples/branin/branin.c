/*
 * branin - the Branin-Hoo benchmark as a Genesis command runner.
 *
 * Usage: branin --x1 <value> --x2 <value>
 *
 * Prints {"f": value} to $GENESIS_OUTPUT when set, else to standard output.
 * Bad arguments exit with status 2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branin.h"

/* Parses a finite number from text; 0 on success. */
static int parse_number(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "branin: %s: '%s' is not a number\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    double x[2] = {0.0, 0.0};
    int have[2] = {0, 0};
    for (int i = 1; i + 1 < argc && argc == 5; i += 2) {
        int which = !strcmp(argv[i], "--x1") ? 0 : !strcmp(argv[i], "--x2") ? 1 : -1;
        if (which < 0)
            break;
        if (parse_number(argv[i], argv[i + 1], &x[which]))
            return 2;
        have[which] = 1;
    }
    if (!have[0] || !have[1]) {
        fprintf(stderr, "usage: branin --x1 <value> --x2 <value>\n");
        return 2;
    }

    const char *path = getenv("GENESIS_OUTPUT");
    FILE *f = stdout;
    if (path && *path) {
        f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "branin: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    fprintf(f, "{\"f\": %.17g}\n", branin(x[0], x[1]));
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
        fprintf(stderr, "branin: writing the outcome failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
