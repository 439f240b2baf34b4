/*
 * dispatch_noop_runner.c - the no-op process runner of the dispatch
 * benchmark (bench/README.md, section 3): prints {"y": 0} and exits 0.
 * Linked statically when the toolchain can (bench/CMakeLists.txt), so that
 * starting it costs the kernel's fork/exec/exit and nothing of a dynamic
 * loader: what is measured is Genesis's overhead per process.
 */
#include <unistd.h>

int main(void)
{
    static const char line[] = "{\"y\": 0}\n";
    return write(STDOUT_FILENO, line, sizeof line - 1) == (ssize_t)(sizeof line - 1) ? 0 : 1;
}
