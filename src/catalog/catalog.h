/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog: the 办事指南 service catalogue (issue 18, docs/internals/catalog.md).
 *
 * The national item model: 事项 (catalog_items, by basic_code) → 子项 → 业务办理项
 * (new/change/renew/cancel) → 实施清单 row per 实施主体 × region (catalog_impls, the API's
 * "service item", by impl id) → versions of its guide (catalog_versions). An ITEM file
 * describes a 事项 with its tree and one GUIDE per impl; a BUNDLE file a 一件事. Both are
 * validated here exactly as docs/internals/catalog.md describes them: unknown keys are
 * refused, codes are checked (basic_code pattern, GB/T 2260 region, the agency's unified
 * social credit code and its check digit, the derived impl_code), and every condition
 * (`when`) is compiled with src/rules over the guide's rules catalogue (its situations plus
 * the enterprise fact catalogue), so a typo in a condition is refused at save time.
 * Errors are RC_INVALID with e->field the JSON path ("materials[2].when.all[0].fact") and
 * e->msg "path: 中文说明", as rules' compile errors.
 *
 * Versions are a src/flow table (catalog_version_flow, entity "catalog_version"): draft →
 * review → published (the previous published version becomes superseded) | withdrawn;
 * publishing is refused while the guide lint (catalog_lint) reports an error.
 *
 * Helpers of the other parts of issue 18 use catalog_impl_get (a service item with its
 * published or a given version's guide), catalog_guide_get (the guide alone) and
 * catalog_guide_rules (the rules catalogue of a guide's conditions).
 */
#ifndef QIFU_CATALOG_H
#define QIFU_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/rc.h"

struct conn;
struct principal;
struct ent_catalog;
struct rules_catalog;
struct flow;

/* Bytes that hold an impl_code with its NUL (20 + 3 + 1 + 12 + 4 + 1 + 18 + 2 + 3 + 1). */
#define CATALOG_IMPL_CODE_MAX 72

/* The parts of an impl_code (实施编码), each NUL-terminated. */
struct catalog_codes {
    char basic_code[21];  /* [0-9A-Z]{6,20} */
    char subitem_code[4]; /* 3 digits */
    char region[7];       /* 6-digit GB/T 2260 code that exists */
    char agency_uscc[19]; /* 18 characters, GB 32100 check digit */
    char kind[8];         /* new / change / renew / cancel */
    char seq[3];          /* 2 digits */
};

/* ---- codes ------------------------------------------------------------------------ */

/* Builds the impl_code of parts (checked) into out. RC_INVALID naming the part. */
enum rc catalog_impl_code(const struct catalog_codes *parts, char out[CATALOG_IMPL_CODE_MAX],
                          struct err *e) WARN_UNUSED;
/* Parses an impl_code back into its parts, checking each. RC_INVALID with a Chinese message. */
enum rc catalog_impl_code_parse(const char *code, struct catalog_codes *out,
                                struct err *e) WARN_UNUSED;
/* The digit of a task kind in an impl_code ('1'..'4'), or 0 for an unknown kind. */
char catalog_kind_digit(const char *kind);

/* ---- validation (catalog_valid.c) -------------------------------------------------- */

/*
 * Returns a new rules catalogue for the conditions of a guide or a bundle (doc's
 * "situations": bool → bool, int → int, code → code with its option values) followed by the
 * enterprise facts and tags of ent (may be NULL: situations only). The situations are not
 * checked here (catalog_guide_check does); a situation that cannot be added is left out.
 * Free it with rules_catalog_free.
 */
struct rules_catalog *catalog_guide_rules(const json_t *doc, const struct ent_catalog *ent);
/* Checks a GUIDE (catalog.md) with its conditions compiled over catalog_guide_rules. */
enum rc catalog_guide_check(const json_t *guide, const struct ent_catalog *ent,
                            struct err *e) WARN_UNUSED;
/* Checks an ITEM file (its tree, its codes, every impl's guide). */
enum rc catalog_item_check(const json_t *item, const struct ent_catalog *ent,
                           struct err *e) WARN_UNUSED;
/* Checks a BUNDLE file's shape and conditions (that its members exist is catalog_bundle_put's). */
enum rc catalog_bundle_check(const json_t *bundle, const struct ent_catalog *ent,
                             struct err *e) WARN_UNUSED;

/* ---- lint (catalog_lint.c) --------------------------------------------------------- */

/*
 * The guide lint (issue 18 item 5): a new object {"ok": no error, "errors": n, "warnings":
 * n, "findings": [{"rule", "severity": "error"|"warning", "path", "message"}]}. Errors
 * refuse publishing; warnings are shown and count against the department's quality score.
 * The rules and their severities are the table in catalog_lint.c (docs/internals/catalog.md).
 */
json_t *catalog_lint(const json_t *guide);
/* True when a material name is vague ("其他材料", "相关材料", ...: the list in catalog_lint.c). */
bool catalog_lint_vague(const char *name);

/* ---- reads (catalog_read.c) -------------------------------------------------------- */

/*
 * Service item impl_id as GET /api/v1/service-items/{id} answers it: {id, impl_code, codes,
 * item, subitem, task, agency, version, guide} (catalog.md). version 0 = the published one
 * (RC_NOTFOUND "办事指南不存在或尚未发布" when there is none); another version only when
 * drafts is true (the caller holds catalog.write or catalog.review), else RC_NOTFOUND.
 * *out is new. This is the function helpers B (情形), D (search) and E (export) call.
 */
enum rc catalog_impl_get(struct conn *c, int64_t impl_id, int version, bool drafts, json_t **out,
                         struct err *e) WARN_UNUSED;
/* The guide alone (a new reference) of the same version, with its number in *version_out
 * (may be NULL). */
enum rc catalog_guide_get(struct conn *c, int64_t impl_id, int version, bool drafts, json_t **out,
                          int *version_out, struct err *e) WARN_UNUSED;
/* The impl id of an impl_code; RC_NOTFOUND when none. */
enum rc catalog_impl_id(struct conn *c, const char *impl_code, int64_t *out,
                        struct err *e) WARN_UNUSED;
/* The impl ids of a 业务办理项 (basic_code + kind), in id order: a new array of integers. */
enum rc catalog_task_impls(struct conn *c, const char *basic_code, const char *kind, json_t **out,
                           struct err *e) WARN_UNUSED;

/* Filters of catalog_list (each NULL/false = any). */
struct catalog_filter {
    const char *life_stage; /* a life stage of the item */
    const char *dept;       /* the item's competent_dept, exactly */
    const char *type;       /* the item's type */
    const char *region;     /* the impl's region starts with it (2, 4 or 6 digits) */
    bool cross;             /* only guides with cross_region (跨省通办) */
    int64_t after;          /* impl id cursor: ids greater than it */
    int limit;
};
/* Published service items as list rows {id, impl_code, name, item_name, type, dept,
 * agency_name, region, life_stages, online_depth, visits, promised_days, cross_mode}, in
 * impl id order; *next the cursor of the next page (0 when none). */
enum rc catalog_list(struct conn *c, const struct catalog_filter *f, json_t **out, int64_t *next,
                     struct err *e) WARN_UNUSED;
/* The list row of one published service item (as catalog_list's), or RC_NOTFOUND. */
enum rc catalog_list_row(struct conn *c, int64_t impl_id, json_t **out, struct err *e) WARN_UNUSED;
/* Versions of service item impl_id, newest first: [{id, version, state, state_label,
 * effective_from, effective_to, created_by, created_at, published_at, lint_errors,
 * lint_warnings}]; the non-published ones only when drafts is true. */
enum rc catalog_versions(struct conn *c, int64_t impl_id, bool drafts, json_t **out,
                         struct err *e) WARN_UNUSED;
/* The stored lint of version v of impl_id (catalog_lint's object plus version, state). */
enum rc catalog_version_lint(struct conn *c, int64_t impl_id, int v, json_t **out,
                             struct err *e) WARN_UNUSED;
/* The guide-quality board per competent_dept (catalog.md "Quality"): a new object. */
enum rc catalog_quality(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

/* ---- writes (catalog.c) ------------------------------------------------------------- */

/* What catalog_item_put did. */
struct catalog_put_report {
    int impls;     /* impls in the file */
    int created;   /* impls created */
    int published; /* versions published (new impls and changed guides) */
    int drafts;    /* versions left as drafts */
    int unchanged; /* impls whose published guide equals the file's */
    json_t *ids;   /* the impl ids of the file, in file order (new array; the caller frees) */
};

/*
 * Writes an ITEM file (checked with catalog_item_check against ent): creates or updates the
 * item, its subitems, tasks and impls. With publish false (POST /api/v1/service-items)
 * each impl gets a new draft version holding its guide (none when its newest version
 * already holds the same guide). With publish true (`qifu catalog load`) an impl whose
 * published guide equals the file's is left alone, and any other guide becomes a new
 * version, submitted and approved through the flow (so a guide the lint refuses is an
 * error naming the impl and the rule). Each step in a transaction of its own; p needs
 * catalog.write (and catalog.review to publish).
 */
enum rc catalog_item_put(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                         const json_t *item, bool publish, int64_t now,
                         struct catalog_put_report *r, struct err *e) WARN_UNUSED;
/*
 * A new draft version of impl_id holding guide (checked), or a copy of the published (else
 * the newest) version when guide is NULL. RC_STATE when a draft or a version in review
 * exists already. *version_out its number. Audited (catalog_version.create).
 */
enum rc catalog_version_new(struct conn *c, const struct principal *p,
                            const struct ent_catalog *ent, int64_t impl_id, const json_t *guide,
                            int64_t now, int *version_out, struct err *e) WARN_UNUSED;
/* Replaces the guide of draft version v of impl_id (checked, lint stored). RC_STATE when it
 * is not a draft. Audited (catalog_version.edit). */
enum rc catalog_version_edit(struct conn *c, const struct principal *p,
                             const struct ent_catalog *ent, int64_t impl_id, int v,
                             const json_t *guide, int64_t now, struct err *e) WARN_UNUSED;
/* The id of version v of impl_id (the flow's record id), or RC_NOTFOUND. */
enum rc catalog_version_id(struct conn *c, int64_t impl_id, int v, int64_t *out,
                           struct err *e) WARN_UNUSED;
/*
 * Stores a BUNDLE file (checked; every member must name an existing 业务办理项 by basic_code
 * and kind, RC_INVALID "members[i].basic_code" otherwise) as published; an unchanged file
 * changes nothing (*changed false). Audited (catalog_bundle.put).
 */
enum rc catalog_bundle_put(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                           const json_t *bundle, int64_t now, bool *changed,
                           struct err *e) WARN_UNUSED;
/* A stored bundle's document by code (new), published ones only; RC_NOTFOUND otherwise. */
enum rc catalog_bundle_get(struct conn *c, const char *code, json_t **out,
                           struct err *e) WARN_UNUSED;
/* The published bundles as a new array of their documents, ordered by code. */
enum rc catalog_bundle_list(struct conn *c, json_t **out, struct err *e) WARN_UNUSED;

/* ---- loading a directory (catalog_load.c) -------------------------------------------- */

/* What catalog_load_dir did. */
struct catalog_load_report {
    int items, impls, created, published, unchanged;
    int bundles, bundles_changed;
    char file[256]; /* the first file an error is about ("" when none) */
    json_t *errors; /* [{file, field, message}] of every bad file (new; the caller frees) */
};

/*
 * `qifu catalog load DIR`: every DIR/items/NAME.json (an ITEM file) through catalog_item_put
 * with publish, then every DIR/bundles/NAME.json through catalog_bundle_put, in file-name
 * order. Idempotent: re-loading unchanged files changes nothing; a changed guide becomes a
 * new published version. A bad file is reported and skipped; the others are loaded. Returns
 * the first bad file's error (r->file names it, r->errors lists every one).
 */
enum rc catalog_load_dir(struct conn *c, const struct principal *p, const struct ent_catalog *ent,
                         const char *dir, int64_t now, struct catalog_load_report *r,
                         struct err *e) WARN_UNUSED;

/* ---- the version flow (catalog_flow.c) ----------------------------------------------- */

extern const struct flow catalog_version_flow;
enum catalog_vstate { CV_DRAFT, CV_REVIEW, CV_PUBLISHED, CV_WITHDRAWN, CV_SUPERSEDED, CV__N };
/* The item types ("xk" ... "gg") with their labels, and the life stages: for GET /labels. */
json_t *catalog_labels_json(void);

#endif
