/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo: the demo city of `qifu demo --history` (docs/internals/demo.md) — 安庆 with its
 * county tree from the GB/T 2260 table, a full set of departments (utilities among them),
 * one user per role and organisation, and a year of history ending at the server's clock:
 * demands in every state and light, 12345 imports, ratings and rectifications, 免申即享
 * runs with grants in every state, applications in review, and the notices all of these
 * send.
 *
 * Everything is written through the domain functions the API calls (org_create,
 * auth_user_create, demand_create, demand_import, demand_act, policy_run_exec,
 * policy_grant_act, policy_app_create, policy_app_act), so timelines, audit events and
 * notices are the real ones. Each step runs at its own instant of the history: the
 * generator fixes the process clock there (time_fixed_set) and gives demands a
 * demand_ctx at that instant, so deadlines are computed by the calendar and lights are
 * those of the real clock afterwards. The data is a function of the seed and of the
 * end instant (rounded down to the minute): the same seed on the same minute gives the
 * same rows.
 *
 * It builds on the plain demo data (`qifu demo`: the organisations, users, catalogue,
 * the demo enterprise and the seed policies) and on the enterprises of the synthetic
 * registry (`qifu demo --enterprises`), which the caller loads first.
 */
#ifndef QIFU_DEMO_H
#define QIFU_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"

struct store;

/* Progress of a long step: phase ("机构与用户", "诉求", ...), done of total. */
typedef void (*demo_progress_fn)(void *ctx, const char *phase, int64_t done, int64_t total);

struct demo_opts {
    uint64_t seed;
    int64_t end;               /* the last instant of the history (ms UTC), e.g. time_now_ms() */
    int n_demands;             /* 0: DEMO_DEMANDS */
    demo_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

struct demo_report {
    bool existed;    /* the database had demands already: nothing was generated */
    int orgs, users; /* created */
    int demands;     /* created, of which imported from the 12345 hotline: */
    int hotline;
    int actions;      /* demand actions taken */
    int runs, grants; /* 免申即享 runs and the grants they wrote */
    int grant_actions;
    int applications;
};

#define DEMO_DEMANDS 3000

/*
 * Generates the history into db (at least 2 connections: policy runs hold one for their
 * lease's heartbeat). Nothing is generated when the database holds demands already
 * (report->existed). Errors as the domain functions report them, with the step in
 * e->msg; what was committed before stays.
 */
enum rc demo_history(struct store *db, const struct demo_opts *o, struct demo_report *report,
                     struct err *e) WARN_UNUSED;

#endif
