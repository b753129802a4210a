/* SPDX-License-Identifier: Apache-2.0 */
/* demo_int.h: internals shared by the files of src/demo (not a public interface). */
#ifndef QIFU_DEMO_INT_H
#define QIFU_DEMO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../access/access.h"
#include "../base/pool.h"
#include "demo.h"

struct conn;
struct cal;
struct ent_catalog;
struct policy_holder;

#define DEMO_MIN (60LL * 1000)
#define DEMO_HOUR (60 * DEMO_MIN)
#define DEMO_DAY (24 * DEMO_HOUR)

/* A deterministic random stream (splitmix64): one per part, so that a change to one
 * part leaves the others' data as it was. */
struct demo_rng {
    uint64_t s;
};

/* A user the generator acts as: loaded once (auth_principal_of), strings in gen->pool. */
struct demo_user {
    const char *username;
    struct principal p;
};

/* An enterprise of the region, with the user that acts for it. */
struct demo_ent {
    char credit[19];
    char region[7];
    char *name;
    struct demo_user *user;
};

struct demo_gen {
    struct store *db;
    struct conn *c;
    const struct demo_opts *o;
    struct demo_report *r;
    struct pool pool; /* principals, names */
    int64_t end;      /* the end of the history, on the minute */
    int64_t start;    /* one year before it */
    struct cal *cal;
    struct demo_user *users;
    size_t n_users, cap_users;
    struct demo_ent *ents; /* the enterprises of 3408, by credit code */
    size_t n_ents;
    size_t demo_ent; /* index of the plain demo's enterprise (91340100131860916Y) */
};

void demo__rng_init(struct demo_rng *r, uint64_t seed, uint64_t stream);
uint64_t demo__rand(struct demo_rng *r);
/* Uniform in [lo, hi] (lo <= hi). */
int64_t demo__between(struct demo_rng *r, int64_t lo, int64_t hi);
/* Picks an index by weights (n weights, their sum > 0). */
size_t demo__weighted(struct demo_rng *r, const int *weights, size_t n);
/* Moves t to office hours (09:00–17:00 Beijing time) of its day or the next weekday. */
int64_t demo__office(int64_t t);
/* The user called username (loaded on first use), or NULL with e set. */
struct demo_user *demo__user(struct demo_gen *g, const char *username, struct err *e);
/* Reports progress (throttled to about a hundred calls per phase). */
void demo__progress(struct demo_gen *g, const char *phase, int64_t done, int64_t total);
/* Prefixes e->msg with what failed. */
enum rc demo__fail(struct err *e, enum rc rc, const char *what, ...)
    __attribute__((format(printf, 3, 4)));

/* demo_demands.c: the demands of the year. */
enum rc demo__demands(struct demo_gen *g, struct err *e) WARN_UNUSED;
/* demo_policies.c: 免申即享 runs, grants and applications. */
enum rc demo__policies(struct demo_gen *g, struct err *e) WARN_UNUSED;

#endif
