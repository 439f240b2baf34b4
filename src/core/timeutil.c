/* core/timeutil.c - see timeutil.h */
#define _POSIX_C_SOURCE 200809L
#include "core/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

double gn_time_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double gn_time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *gn_time_iso8601(double epoch, char *buf, size_t size)
{
    time_t secs = (time_t)floor(epoch);
    int ms = (int)((epoch - floor(epoch)) * 1000.0);
    struct tm tm;
    char base[32];
    if (ms > 999)
        ms = 999;
    gmtime_r(&secs, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", base, ms);
    return buf;
}

void gn_time_sleep(double seconds, volatile int *stop)
{
    struct timespec req, rem;
    if (seconds <= 0)
        return;
    req.tv_sec = (time_t)seconds;
    req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
    while (nanosleep(&req, &rem) == -1 && errno == EINTR) {
        if (stop && *stop)
            return;
        req = rem;
    }
}
