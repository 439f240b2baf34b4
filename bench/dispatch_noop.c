/*
 * dispatch_noop.c - the no-op library runner of the dispatch benchmark
 * (bench/README.md, section 3): reports {"y": 0} and returns. It never asks
 * for its working directory, so none is created (docs/runner.md).
 */
#include <genesis/runner.h>

int dispatch_noop(const gn_runner_input *in, gn_runner_output *out);

int dispatch_noop(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    return gn_runner_output_set(out, "y", 0.0) == GN_OK ? 0 : 1;
}
