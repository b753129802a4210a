/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_search: finding service items by what people type (issue 18 item 6,
 * docs/internals/catalog.md "Search").
 *
 * The index (migration 0023) holds one row per 实施清单 row with a published version: its
 * list row, its short texts (names, 俗称, agency and department), long texts (materials,
 * acceptance conditions, steps, results), the pinyin initials of its names, one- and
 * two-character grams for short queries, and the industries its guide's conditions name.
 * The publish path keeps it: catalog_search_reindex when a version is published (the
 * document) or withdrawn (NULL). A search ranks synonym and exact-name hits first, then by
 * where the text matched, boosted when the item fits the caller's industry, then by use;
 * a query that finds nothing is retried allowing one wrong character, and logged when it
 * still finds nothing. Synonyms (俗称 → basic codes or bundle codes) are edited by the
 * catalogue team.
 */
#ifndef QIFU_CATALOG_SEARCH_H
#define QIFU_CATALOG_SEARCH_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;

#define CATALOG_SEARCH_Q_MAX 64     /* characters of a query kept */
#define CATALOG_SEARCH_LIMIT_MAX 50 /* items per answer */
#define CATALOG_SYNONYM_TERM_MAX 32 /* characters of a synonym's term */
#define CATALOG_SYNONYM_TARGETS_MAX 20
#define CATALOG_SEARCH_MISSES_MAX 10000 /* distinct zero-result queries logged */

/* What the index needs of one 实施清单 row and its published version (all borrowed). */
struct catalog_search_doc {
    int64_t version_id;
    const char *impl_code;
    const char *basic_code;
    const char *name;        /* the 业务办理项's name, e.g. 食品经营许可（新办） */
    const char *item_name;   /* the 事项's name */
    const char *type;        /* xk, qr, ... */
    const char *dept;        /* the 事项's competent department */
    const char *agency_name; /* the 实施主体 */
    const char *region;
    const json_t *aliases;     /* the 事项's 俗称 (array of strings) or NULL */
    const json_t *life_stages; /* array of life stage codes or NULL */
    const json_t *guide;       /* the published GUIDE */
};

/*
 * Puts impl_id into the search index as d says, replacing what was there, or takes it out
 * when d is NULL (withdrawn, or no published version). Inside the caller's transaction when
 * it has one, else in its own. RC_INVALID when d lacks a name or code.
 */
enum rc catalog_search_reindex(struct conn *c, int64_t impl_id, const struct catalog_search_doc *d,
                               int64_t now, struct err *e) WARN_UNUSED;
/*
 * Reindexes impl_id from the catalogue tables: its published version (catalog_impls.
 * published_version_id) with its item, task and agency, or takes it out when it has none.
 * What the publish and withdraw paths call (catalog_flow.c), inside their transaction.
 */
enum rc catalog_search_reindex_impl(struct conn *c, int64_t impl_id, int64_t now,
                                    struct err *e) WARN_UNUSED;
/* Reindexes every impl of the 事项 with basic_code (its name, aliases or department changed). */
enum rc catalog_search_reindex_item(struct conn *c, const char *basic_code, int64_t now,
                                    struct err *e) WARN_UNUSED;
/* Rebuilds the whole index from the catalogue tables (`qifu catalog reindex`): every impl and
 * every published bundle. *n (may be NULL) counts the impls indexed. */
enum rc catalog_search_rebuild(struct conn *c, int64_t now, int *n, struct err *e) WARN_UNUSED;
/*
 * Puts the 一件事 bundle (a BUNDLE document: code, name, life_stage, aliases, members) into
 * the search index, replacing it, or takes bundle code out when bundle is NULL.
 */
enum rc catalog_search_reindex_bundle(struct conn *c, const char *code, const json_t *bundle,
                                      struct err *e) WARN_UNUSED;

/* A search. */
struct catalog_search_query {
    const char *q;        /* as typed */
    const char *industry; /* GB/T 4754 code of the enterprise, or NULL */
    int limit;            /* 1..CATALOG_SEARCH_LIMIT_MAX */
};
/*
 * Searches the index. *out (new) is {items: [list row + score, matched, uses], total,
 * bundles: [{code, name, life_stage}], query: the normalised query}. A query that finds
 * neither item nor bundle is logged (catalog_search_misses). RC_INVALID ("q") for an empty
 * query.
 */
enum rc catalog_search(struct conn *c, const struct catalog_search_query *q, int64_t now,
                       json_t **out, struct err *e) WARN_UNUSED;
/*
 * Writes q normalised into out (n bytes, at least 4 * CATALOG_SEARCH_Q_MAX + 1): full-width
 * ASCII to half-width, ASCII lower case, punctuation and white space as one space, trimmed,
 * at most CATALOG_SEARCH_Q_MAX characters.
 */
void catalog_search_normalize(const char *q, char *out, size_t n);

/* ---- synonyms (catalog.write) ---------------------------------------------------- */

/* Lists the synonyms by term; *out new array of {id, term, targets, note, updated_by,
 * updated_at}. */
enum rc catalog_synonym_list(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;
/* Reads synonym id into *out (new). RC_NOTFOUND. */
enum rc catalog_synonym_get(struct conn *c, int64_t id, json_t **out, struct err *e) WARN_UNUSED;
/*
 * Creates (id 0; *out_id receives the new id) or replaces synonym id: term (normalised as a
 * query, 1..CATALOG_SYNONYM_TERM_MAX characters), targets (array of 1..20 basic or bundle
 * codes), note (may be NULL). Audited as who. RC_INVALID naming the field, RC_EXISTS
 * ("term") for a term already there, RC_NOTFOUND for an unknown id.
 */
struct audit_actor;
enum rc catalog_synonym_put(struct conn *c, const struct audit_actor *who, int64_t id,
                            const char *term, const json_t *targets, const char *note, int64_t now,
                            int64_t *out_id, struct err *e) WARN_UNUSED;
/* Deletes synonym id, audited. RC_NOTFOUND. */
enum rc catalog_synonym_delete(struct conn *c, const struct audit_actor *who, int64_t id,
                               struct err *e) WARN_UNUSED;
/*
 * Adds the synonyms of doc ([{term, targets, note}] or {"synonyms": [...]}, the form of
 * data/catalog/synonyms.json) whose terms are not there yet (edited ones are kept), in the
 * caller's transaction or its own. *n_added (may be NULL) counts them.
 */
enum rc catalog_synonyms_seed(struct conn *c, const json_t *doc, int64_t now, int *n_added,
                              struct err *e) WARN_UNUSED;

/* Lists the logged zero-result queries, most recent first: new array of {query, count,
 * first_seen, last_seen}. */
enum rc catalog_search_misses(struct conn *c, int limit, json_t **out, struct err *e) WARN_UNUSED;

/* ---- usage ---------------------------------------------------------------------- */

enum catalog_usage_kind { CATALOG_USAGE_VIEW, CATALOG_USAGE_CHECKLIST };
/*
 * Counts one use of impl_id in memory; the counts are added to catalog_usage on c (which
 * must have no open transaction) once CATALOG_USAGE_BATCH uses are pending (environment
 * QIFU_CATALOG_USAGE_BATCH overrides the default 32; 1 writes each) or the oldest pending
 * one is 10 s old. A failed write is logged and its counts kept for the next one (up to
 * 1024 items). Thread-safe.
 */
void catalog_usage_note(struct conn *c, int64_t impl_id, enum catalog_usage_kind k, int64_t now);
/* Writes the pending counts now (c without an open transaction). */
enum rc catalog_usage_flush(struct conn *c, int64_t now, struct err *e) WARN_UNUSED;

#endif
