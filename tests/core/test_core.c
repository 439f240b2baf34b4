/*
 * test_core.c - errors, the allocator's failure hook, strings, time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "core/timeutil.h"

static void err_set_and_prefix(void **state)
{
    gn_err err;
    (void)state;
    gn_err_clear(&err);
    assert_int_equal(err.status, GN_OK);
    assert_int_equal(gn_err_set(&err, GN_ERR_IO, "cannot open %s", "x.db"), GN_ERR_IO);
    assert_int_equal(gn_err_prefix(&err, "store %d", 2), GN_ERR_IO);
    assert_string_equal(err.msg, "store 2: cannot open x.db");
    assert_int_equal(gn_err_set(NULL, GN_ERR_SPEC, "ignored"), GN_ERR_SPEC);
    assert_string_equal(gn_status_str(GN_ERR_NOMEM), "out of memory");
    assert_string_equal(gn_status_str((gn_status)999), "unknown status");
}

static void err_message_truncates_safely(void **state)
{
    gn_err err;
    char big[5000];
    (void)state;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gn_err_set(&err, GN_ERR_SPEC, "%s", big);
    assert_int_equal(strlen(err.msg), GN_ERR_MSG_MAX - 1);
    gn_err_prefix(&err, "context");
    assert_int_equal(strlen(err.msg), GN_ERR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "context: aaa", 12);
}

static void alloc_fail_hook(void **state)
{
    void *a, *b, *c;
    (void)state;
    gn__alloc_fail_at(2);
    a = gn_malloc(8);
    b = gn_malloc(8);
    c = gn_malloc(8);
    assert_non_null(a);
    assert_null(b); /* exactly the 2nd fails */
    assert_non_null(c);
    gn_free(a);
    gn_free(c);
    gn_free(NULL);
    assert_null(gn_calloc(SIZE_MAX / 2, 4)); /* overflow caught */
    assert_null(gn_reallocarray(NULL, SIZE_MAX / 2, 4));
}

static void strbuf_grows_and_fails_once(void **state)
{
    gn_strbuf sb;
    char *s;
    int i;
    (void)state;
    gn_strbuf_init(&sb);
    for (i = 0; i < 1000; i++)
        gn_strbuf_appendf(&sb, "%d,", i);
    s = gn_strbuf_take(&sb);
    assert_non_null(s);
    assert_int_equal(strncmp(s, "0,1,2,", 6), 0);
    assert_non_null(strstr(s, "999,"));
    gn_free(s);
    gn_strbuf_init(&sb);
    gn_strbuf_append(&sb, "abc");
    gn__alloc_fail_at(1);
    gn_strbuf_append(&sb, "a much longer text that does not fit in 64 bytes ......................");
    gn_strbuf_append(&sb, "more");
    assert_null(gn_strbuf_take(&sb)); /* one check at the end sees the failure */
    gn_strbuf_init(&sb);
    s = gn_strbuf_take(&sb);
    assert_string_equal(s, "");
    gn_free(s);
}

static void time_format(void **state)
{
    char buf[40];
    double a, b;
    (void)state;
    assert_string_equal(gn_time_iso8601(0.25, buf, sizeof buf), "1970-01-01T00:00:00.250Z");
    assert_string_equal(gn_time_iso8601(1795000000.0, buf, sizeof buf), "2026-11-18T11:06:40.000Z");
    a = gn_time_mono();
    gn_time_sleep(0.01, NULL);
    b = gn_time_mono();
    assert_true(b - a >= 0.009);
    assert_true(gn_time_wall() > 1.7e9);
}

static void asprintf_and_strdup(void **state)
{
    char *s;
    (void)state;
    s = gn_asprintf("%s-%d", "exp", 42);
    assert_string_equal(s, "exp-42");
    gn_free(s);
    assert_null(gn_strdup(NULL));
    s = gn_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    gn_free(s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_set_and_prefix),
        cmocka_unit_test(err_message_truncates_safely),
        cmocka_unit_test(alloc_fail_hook),
        cmocka_unit_test(strbuf_grows_and_fails_once),
        cmocka_unit_test(time_format),
        cmocka_unit_test(asprintf_and_strdup),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
