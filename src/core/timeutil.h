/*
 * core/timeutil.h - clocks and timestamps.
 */
#ifndef GN_CORE_TIMEUTIL_H
#define GN_CORE_TIMEUTIL_H

#include <stddef.h>

/* Seconds since the Unix epoch (CLOCK_REALTIME), with sub-second part. */
double gn_time_wall(void);
/* Seconds on a monotonic clock, for durations and deadlines. */
double gn_time_mono(void);
/* Formats an epoch time as UTC ISO 8601 with milliseconds,
 * "2026-11-23T09:32:18.123Z", into buf (at least 32 bytes). Returns buf. */
char *gn_time_iso8601(double epoch, char *buf, size_t size);
/* Sleeps for `seconds` (restarts after signals unless *stop becomes
 * non-zero; stop may be NULL). */
void gn_time_sleep(double seconds, volatile int *stop);

#endif
