/*
 * core/log.h - diagnostic logging to stderr.
 *
 * The level comes from $GENESIS_LOG (error, warn, info, debug; default
 * warn) and can be set by the program. Library code logs sparingly: errors
 * are returned, not logged.
 */
#ifndef GN_CORE_LOG_H
#define GN_CORE_LOG_H

typedef enum { GN_LOG_ERROR = 0, GN_LOG_WARN = 1, GN_LOG_INFO = 2, GN_LOG_DEBUG = 3 } gn_log_level;

void gn_log_set_level(gn_log_level level);
gn_log_level gn_log_get_level(void);
void gn_log(gn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
