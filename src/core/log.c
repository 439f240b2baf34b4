/* core/log.c - see log.h */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int level = -1; /* -1: not yet read from the environment */

static void init_level(void)
{
    const char *e = getenv("GENESIS_LOG");
    level = GN_LOG_WARN;
    if (!e)
        return;
    if (!strcmp(e, "error"))
        level = GN_LOG_ERROR;
    else if (!strcmp(e, "info"))
        level = GN_LOG_INFO;
    else if (!strcmp(e, "debug"))
        level = GN_LOG_DEBUG;
}

void gn_log_set_level(gn_log_level l) { level = (int)l; }

gn_log_level gn_log_get_level(void)
{
    if (level < 0)
        init_level();
    return (gn_log_level)level;
}

void gn_log(gn_log_level l, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    va_list ap;
    if ((int)l > (int)gn_log_get_level())
        return;
    fprintf(stderr, "genesis: %s: ", names[l]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
