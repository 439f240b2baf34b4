/*
 * libbranin - the Branin-Hoo benchmark as an in-process library runner.
 *
 *     runner: {library: ./libbranin.so, function: evaluate}
 *
 * Genesis dlopens this module and calls evaluate() once per attempt, from
 * several threads when budget.parallel > 1: the function is pure, so it is
 * thread-safe. gn_runner_output_set and gn_runner_output_fail are left
 * undefined here; the genesis process that loads the module provides them
 * (see include/genesis/runner.h).
 */
#include <string.h>

#include "branin.h"
#include "genesis/runner.h"

/* Reads x1 and x2 by name (so the spec may list them in any order) and
 * reports f. Returns 0 on success, 1 with a reason on a bad input. */
__attribute__((visibility("default"))) int evaluate(const gn_runner_input *in,
                                                    gn_runner_output *out);

int evaluate(const gn_runner_input *in, gn_runner_output *out)
{
    double x[2] = {0.0, 0.0};
    int have[2] = {0, 0};
    for (size_t i = 0; i < in->n_params; i++) {
        if (!strcmp(in->names[i], "x1")) {
            x[0] = in->values[i];
            have[0] = 1;
        } else if (!strcmp(in->names[i], "x2")) {
            x[1] = in->values[i];
            have[1] = 1;
        }
    }
    if (!have[0] || !have[1]) {
        gn_runner_output_fail(out, "libbranin: the campaign needs parameters x1 and x2");
        return 1;
    }
    if (gn_runner_output_set(out, "f", branin(x[0], x[1])) != GN_OK) {
        gn_runner_output_fail(out, "libbranin: could not record f");
        return 1;
    }
    return 0;
}
