/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ent: the enterprise registry (一企一档) and the fact catalogue.
 *
 * An enterprise is keyed by its unified social credit code and carries its
 * registration data, qualification tags, contacts (personal data, masked unless
 * the viewer may see them) and the officials who look after it (包保). Facts are
 * values of catalogued facts (employees, revenue, tax_credit_rating, ...), each
 * with an as-of date, a status (authoritative / self_declared) and a source; every
 * value is kept, and the newest as-of (then the newest record) wins.
 *
 * Visibility is decided here, in the queries, from the caller's access scope
 * (src/access: ACCESS_SQL_ENT): an enterprise user (ent.self) sees its own enterprise
 * only; officials holding ent.region the enterprises of their organisation's region,
 * and everyone those they 包保; scope.all every one. Full contact data is shown
 * (access_reveal) to the enterprise itself and its 包保 officials, and to holders of
 * pii.read (admins); everyone else gets masked values (138****1234).
 */
#ifndef QIFU_ENT_H
#define QIFU_ENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../audit/audit.h"
#include "../base/pool.h"
#include "../base/rc.h"

struct conn;
struct principal;
struct ent_catalog;

enum ent_fact_type {
    ENT_FACT_INT,
    ENT_FACT_MONEY,   /* int64 fen */
    ENT_FACT_DECIMAL, /* up to 4 decimal places, kept as normalised text */
    ENT_FACT_DATE,    /* YYYY-MM-DD */
    ENT_FACT_CODE,    /* text, optionally one of code_values */
    ENT_FACT_BOOL,
    ENT_FACT_TAGSET
};

struct ent_fact_def {
    const char *name;
    enum ent_fact_type type;
    const char *unit;
    const char *label;
    const char *source;      /* the authoritative department, as people name it */
    const char *source_org;  /* its organisation code: who records authoritative values ("" none) */
    const char *code_values; /* "A,B,M,C,D" or "" */
    bool builtin;            /* read from the enterprise record, not enterprise_facts */
};

/* ---- catalogue ---------------------------------------------------------- */

/* Loads the fact catalogue and tag list; *out is new (ent_catalog_free). Immutable after. */
enum rc ent_catalog_load(struct conn *c, struct ent_catalog **out, struct err *e) WARN_UNUSED;
void ent_catalog_free(struct ent_catalog *cat);
/* Returns the fact named name, or NULL. */
const struct ent_fact_def *ent_catalog_fact(const struct ent_catalog *cat, const char *name);
/* Returns the number of facts and the i-th one. */
size_t ent_catalog_size(const struct ent_catalog *cat);
const struct ent_fact_def *ent_catalog_at(const struct ent_catalog *cat, size_t i);
/* Returns the Chinese label of tag code, or NULL if the tag is unknown. */
const char *ent_catalog_tag(const struct ent_catalog *cat, const char *code);
/* Returns the catalogue (facts and tags) as a new JSON object for /api/v1/facts. */
json_t *ent_catalog_json(const struct ent_catalog *cat);
/* Returns "int", "money", ... */
const char *ent_fact_type_name(enum ent_fact_type t);

/*
 * Checks a JSON value against def and writes its canonical text into *out (new,
 * xfree). RC_INVALID naming field (e.g. "facts[2].value") with a Chinese message.
 */
enum rc ent_fact_from_json(const struct ent_fact_def *def, const json_t *v, const char *field,
                           char **out, struct err *e) WARN_UNUSED;
/* Same for text (CSV cells): "123", "12.5", "2024-01-01", "true", "A", "a;b". */
enum rc ent_fact_from_text(const struct ent_fact_def *def, const char *s, const char *field,
                           char **out, struct err *e) WARN_UNUSED;
/* Returns the JSON value of canonical text of def (new reference). */
json_t *ent_fact_to_json(const struct ent_fact_def *def, const char *canon);
/* Writes a Chinese rendering ("800万元", "120人", "是") into out. */
const char *ent_fact_display(const struct ent_fact_def *def, const char *canon, char *out,
                             size_t n);

/* ---- enterprises --------------------------------------------------------- */

/* A validated enterprise record; strings borrowed from where it was parsed. */
struct ent_record {
    const char *credit_code;
    const char *name;
    const char *region;
    const char *industry;    /* NULL when unknown */
    const char *founded;     /* NULL when unknown */
    int64_t capital_fen;     /* -1 when unknown */
    const char *scale;       /* NULL when unknown */
    const char *legal_rep;
    const char *address;
    json_t *contacts;        /* array (owned by the record), normalised */
    json_t *tags;            /* sorted array of tag codes (owned) */
    json_t *officials;       /* array of user names (owned), NULL = leave unchanged */
    /* Which members a partial update sets. */
    bool has_name, has_region, has_industry, has_founded, has_capital, has_scale, has_legal_rep,
        has_address, has_contacts, has_tags;
};

/* Frees the JSON members of r (r itself is caller storage). */
void ent_record_cleanup(struct ent_record *r);
/*
 * Validates a JSON object into r. With partial, absent members stay unset (PATCH);
 * otherwise credit_code, name and region are required. Strings are borrowed from j.
 */
enum rc ent_record_from_json(const struct ent_catalog *cat, const json_t *j, bool partial,
                             struct ent_record *r, struct err *e) WARN_UNUSED;

/*
 * Creates (create_only: RC_EXISTS if present), or updates the members r sets, in its
 * own transaction with an audit event holding before and after (personal data
 * masked). *created says which happened; *changed is false when nothing differed
 * (then nothing is written). Officials named in r->officials must be existing
 * non-enterprise users (RC_INVALID on "officials"). With a principal p, an update
 * (!create_only) needs an existing enterprise visible to it (RC_NOTFOUND; only a NULL
 * p, the CLI, upserts); without scope.all, the region must lie within p's region
 * (RC_FORBIDDEN naming "region").
 */
enum rc ent_save(struct conn *c, const struct audit_actor *who, const struct principal *p,
                 const struct ent_record *r, bool create_only, bool *created, bool *changed,
                 struct err *e) WARN_UNUSED;
/*
 * Like ent_save, but inside the caller's transaction and without its own audit
 * event. In bulk mode (import) the name of a NEW enterprise is not added to the
 * search index — the caller calls ent_search_index_from(c, mark) before
 * committing — and no audit image is made for it (*after stays NULL).
 */
enum rc ent_save_in_txn(struct conn *c, const struct ent_record *r, bool create_only,
                        bool bulk, bool *created, bool *changed, json_t **before,
                        json_t **after, struct err *e) WARN_UNUSED;
/* Sets *mark to the high-water mark of the enterprises for ent_search_index_from
 * (store_search_mark). */
enum rc ent_search_mark(struct conn *c, int64_t *mark, struct err *e) WARN_UNUSED;
/* Adds the names of the enterprises inserted after mark to the search index where the
 * backend needs it (store_search_index_from). */
enum rc ent_search_index_from(struct conn *c, int64_t mark, struct err *e) WARN_UNUSED;

/*
 * Reads one enterprise visible to p as a new JSON object. RC_NOTFOUND when it
 * does not exist or is not visible (the same answer, so existence does not leak).
 */
enum rc ent_get(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                const char *credit_code, json_t **out, struct err *e) WARN_UNUSED;

struct ent_filter {
    const char *q;         /* name contains (Chinese full text); letters and digits
                              only: a credit code prefix (any case) */
    const char *region;    /* region code prefix */
    const char *industry;  /* industry code prefix: section letter or digits */
    const char *tag;
    const char *scale;
    const char *after;     /* cursor: the last credit code of the previous page */
    int limit;
};

/* Lists enterprises visible to p; *out is a new JSON array (contacts masked). */
enum rc ent_list(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                 const struct ent_filter *f, json_t **out, struct err *e) WARN_UNUSED;

/* ---- facts ----------------------------------------------------------------- */

struct ent_fact_in {
    const char *fact;
    char *value;          /* canonical text (owned by the caller) */
    const char *as_of;    /* YYYY-MM-DD */
    const char *status;   /* "authoritative" or "self_declared" */
    const char *source;
};

/*
 * Reads the facts of a visible enterprise: the newest value of each (history false)
 * or every recorded value (history true), plus the catalogued facts still missing.
 */
enum rc ent_facts_get(struct conn *c, const struct ent_catalog *cat, const struct principal *p,
                      const char *credit_code, bool history, json_t **out,
                      struct err *e) WARN_UNUSED;
/* RC_OK when credit_code exists and p may see it; else RC_NOTFOUND (the same answer). */
enum rc ent_visible(struct conn *c, const struct principal *p, const char *credit_code,
                    struct err *e) WARN_UNUSED;
/* Records facts (already validated) for a visible enterprise, audited. */
enum rc ent_facts_put(struct conn *c, const struct audit_actor *who, const struct principal *p,
                      const char *credit_code, const struct ent_fact_in *facts, size_t n,
                      struct err *e) WARN_UNUSED;
/* Inserts facts inside the caller's transaction (used by the import). */
enum rc ent_facts_insert(struct conn *c, const char *credit_code, const struct ent_fact_in *facts,
                         size_t n, const char *recorded_by, int64_t now,
                         struct err *e) WARN_UNUSED;

/* Validates "YYYY-MM-DD" (1900-01-01 .. 2100-12-31). */
bool ent_date_valid(const char *s);
/* True when the valid date s is after today in Asia/Shanghai (time_now_ms()). */
bool ent_date_future(const char *s);
/*
 * May a user of organisation org_code (NULL: none), an admin when admin, record
 * authoritative values of def? Only the fact's source department and admins may
 * (imports are admin-only). On refusal RC_FORBIDDEN naming field, with a Chinese message
 * naming the department (its name read from orgs through c).
 */
enum rc ent_fact_may_record(struct conn *c, const struct ent_fact_def *def, const char *org_code,
                            bool admin, const char *field, struct err *e) WARN_UNUSED;

#endif
