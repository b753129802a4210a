/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit: the shared frame of the unit tests, on Check (libcheck).
 *
 * Each tests/unit/test_<module>.c defines `static Suite *suite(void)` and ends with
 * UNIT_MAIN(suite). Check forks one child per test (libuv's runner does the same), so
 * a crash fails one test, not the run. Check's ck_assert_* macros print both sides.
 * The summary line ("100%: Checks: N, Failures: 0, Errors: 0") is what tests/run.sh
 * adds up.
 */
#ifndef QIFU_UNIT_H
#define QIFU_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN(suite_fn)                                                                        \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

#endif
