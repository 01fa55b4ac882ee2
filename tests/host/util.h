/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the Check programs of both tiers.
 *
 * Naming: every shared test helper is called tu_<what> ("test utility"),
 * here and in tests/guest/util.h, so that a grep for "tu_" finds them all
 * and a name without the prefix is always the suite's own.  Helpers that
 * assert (ck_assert) fail the calling test with a message naming what went
 * wrong; they are meant to be called from a test or a checked fixture.
 *
 * This file holds what needs neither a device nor a fake: running a suite
 * and checking for leaked file descriptors.  The host suites link util.c;
 * so do the guest suites (tests/guest/util.h includes this header), so
 * that every Check program runs its suite the same way.
 *
 * Timeouts.  No test may depend on the speed of the machine: every TCase
 * sets its timeout (tu_tcase() makes you choose one), never relying on
 * Check's 4-second default, and a loop whose duration grows with its work is sized
 * so that the timeout is a wide margin above what it needs on a loaded
 * machine (measured with two CPU hogs running beside the suite).  The
 * constants below are the timeouts of the host suites (the guest suites
 * have their own, tests/guest/util.h); CK_TIMEOUT_MULTIPLIER scales every
 * timeout for an even slower machine.
 */
#ifndef P2PBUF_TESTS_HOST_UTIL_H
#define P2PBUF_TESTS_HOST_UTIL_H

#include <check.h>

/*
 * A TCase of in-process tests: under a second each, even on a loaded
 * machine (at most 0.7 s measured with two CPU hogs at load 14 on 2 cores).
 */
#define TU_HOST_TIMEOUT 60
/*
 * A TCase whose tests start other programs: python3's JSON checker, 50 ms
 * to start on an idle machine, took up to 14 s per start at load 14 on 2
 * cores (42 s for the 3 starts of the slowest test).
 */
#define TU_HOST_TIMEOUT_EXEC 600

/*
 * A new TCase of s named name, with the timeout (seconds) its tests need
 * and, unless both are NULL, the checked fixture setup/teardown (run in
 * each test's process).  Add the tests to what it returns.  Creating every
 * TCase through it means none runs on Check's 4-second default.
 */
TCase *tu_tcase(Suite *s, const char *name, double timeout, SFun setup,
		SFun teardown);

/*
 * Run every test of s (which this frees) in the usual way: one process per
 * test (CK_FORK, unless the environment says otherwise), the verbosity of
 * CK_VERBOSITY (default normal), stdout line-buffered so that forked tests
 * do not repeat each other's output.  Returns EXIT_SUCCESS when every test
 * passed, else EXIT_FAILURE: main() returns it.
 */
int tu_run(Suite *s);

/*
 * The lowest free file descriptor: the number the next open() gets.  Take
 * it before a call and compare after to see that the call leaked no fd.
 */
int tu_lowest_free_fd(void);

#endif /* P2PBUF_TESTS_HOST_UTIL_H */
