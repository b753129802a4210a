/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules: the policy rule language (DESIGN.md §6, docs/internals/rules.md).
 *
 * A policy's rule document (typed JSON: conditions, amount, exclusive_group,
 * cap_group) is checked against a fact catalogue and compiled once into an
 * immutable struct rules_policy. Many compiled policies make a struct rules_set
 * (shared leaves deduplicated), which is immutable and may be used by any number of
 * threads at once; a reload builds a new set and swaps it (rules_set_incref /
 * rules_set_free count the readers).
 *
 * Evaluation is three-valued (TRUE / FALSE / UNKNOWN, Kleene logic) and comes in two
 * forms that always agree on outcome and amount:
 *   - the row evaluator (rules_eval): one enterprise's facts (struct rules_facts)
 *     against a whole set, with explanations, missing facts and the second pass
 *     (exclusive groups, cap groups);
 *   - the batch evaluator (rules_batch_run): a columnar struct rules_table of many
 *     enterprises against a set, with per-leaf TRUE/UNKNOWN bitmaps, 64 rows per
 *     word, split over threads.
 *
 * Money is int64 fen, decimals are int64 × 10^4, rates int64 × 10^6, dates int64
 * days since 1970-01-01; no floating point touches an amount. The module is pure: no
 * I/O, no store, no HTTP; it does not include ent headers (the caller builds the
 * catalogue from ent's).
 *
 * Typical use:
 *     struct rules_catalog *cat = rules_catalog_new();
 *     rules_catalog_add_fact(cat, "revenue", RULES_MONEY, "营业收入", "元", "");
 *     rules_catalog_add_tag(cat, "high_tech", "高新技术企业");
 *     rc = rules_compile(cat, NULL, doc, 17, NULL, &pol, &e);   // per policy version
 *     set = rules_set_new(cat, pols, n);                         // steals the policies
 *     f = rules_facts_new(cat); rc = rules_facts_set(f, "revenue", "80000000", true, &e);
 *     rc = rules_eval(set, f, today, RULES_EXPLAIN, &row, &e);  ... rules_row_free(row);
 */
#ifndef QIFU_RULES_H
#define QIFU_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/rc.h"

/* Limits of one policy's rule document (RC_TOOLARGE / RC_INVALID at compile time). */
#define RULES_MAX_DEPTH 32    /* nesting of nodes and amounts */
#define RULES_MAX_NODES 1000  /* nodes (conditions, combinators, amount parts) per policy */
#define RULES_MAX_LIST 1000   /* items of a list value */
#define RULES_MAX_STRING 512  /* bytes of any string */
#define RULES_MAX_EXPLAIN (256 << 20) /* bytes of one row's explanations (RC_TOOLARGE) */

struct buf;
struct rules__frag;
struct rules_catalog;
struct rules_named;
struct rules_policy;
struct rules_set;
struct rules_facts;
struct rules_table;

/* Fact types; the same order as ent's enum ent_fact_type, so a cast is enough. */
enum rules_type {
    RULES_INT,     /* a count, int64 */
    RULES_MONEY,   /* int64 fen */
    RULES_DECIMAL, /* up to 4 places, int64 × 10^4 */
    RULES_DATE,    /* YYYY-MM-DD, int64 days since 1970-01-01 */
    RULES_CODE,    /* text; "region" is GB/T 2260, "industry" GB/T 4754, else code_values */
    RULES_BOOL,
    RULES_TAGSET
};

/* Outcome of one policy for one enterprise, worst to best. */
enum rules_outcome {
    RULES_INELIGIBLE = 0, /* the conditions are FALSE */
    RULES_POSSIBLY,       /* UNKNOWN for want of data: see missing */
    RULES_MANUAL,         /* only manual conditions (a person's judgement) remain */
    RULES_ELIGIBLE        /* the conditions are TRUE */
};

/* State of an amount. */
enum rules_amount {
    RULES_AMOUNT_NONE = 0, /* no amount formula (非资金类), or the outcome is ineligible */
    RULES_AMOUNT_KNOWN,    /* amount holds fen */
    RULES_AMOUNT_UNKNOWN   /* a base fact is missing or a tier is UNKNOWN (金额待核定) */
};

/* ---- catalogue ------------------------------------------------------------- */

/* Returns a new, empty catalogue (rules_catalog_free). */
struct rules_catalog *rules_catalog_new(void);
/* Frees cat (NULL is fine). Every set, policy, facts and table made from it must be freed first. */
void rules_catalog_free(struct rules_catalog *cat);
/*
 * Adds a fact. Strings are copied. code_values is "A,B,M,C,D" or "" (a code fact
 * named "region" is checked against GB/T 2260, one named "industry" against
 * GB/T 4754). name is an identifier ([a-z0-9_]+: explanations write it into JSON as it
 * is). Returns the fact's index (0, 1, ...), or -1 if the name is taken or not one.
 */
int rules_catalog_add_fact(struct rules_catalog *cat, const char *name, enum rules_type type,
                           const char *label, const char *unit, const char *code_values);
/* Adds a tag (code, Chinese label), copied. Returns its index (< 64), or -1 if taken or full. */
int rules_catalog_add_tag(struct rules_catalog *cat, const char *code, const char *label);
/* Returns the index of the fact named name, or -1. */
int rules_catalog_fact_index(const struct rules_catalog *cat, const char *name);
/* Returns the number of facts. */
size_t rules_catalog_size(const struct rules_catalog *cat);
/* Returns the name / label / type of fact i (borrowed, valid for the catalogue's life). */
const char *rules_catalog_fact_name(const struct rules_catalog *cat, int i);
const char *rules_catalog_fact_label(const struct rules_catalog *cat, int i);
enum rules_type rules_catalog_fact_type(const struct rules_catalog *cat, int i);

/* ---- named conditions ------------------------------------------------------- */

/* Returns a new, empty list of named conditions (rules_named_free). */
struct rules_named *rules_named_new(void);
/* Frees nc (NULL is fine). */
void rules_named_free(struct rules_named *nc);
/*
 * Adds {"name": "small_micro", "label": "小微企业", "node": NODE} (def is borrowed;
 * a reference is kept). The node is compiled where it is referenced, so an unknown
 * fact or a cycle is reported by rules_compile; here RC_INVALID (e names the member)
 * for a bad shape and RC_EXISTS for a name already added.
 */
enum rc rules_named_add(struct rules_named *nc, const json_t *def, struct err *e) WARN_UNUSED;

/* ---- compiling -------------------------------------------------------------- */

/* Options of rules_compile; all members may be zero. */
struct rules_opts {
    const char *const *scope; /* region prefixes of the policy's scope; n_scope 0 = none */
    size_t n_scope;           /* adds leaf `region prefix_in scope` (path "scope") ANDed in front */
};

/*
 * Checks and compiles one policy's rule document (borrowed) into a new immutable
 * *out (rules_policy_free, or hand it to rules_set_new). named may be NULL.
 * On error: RC_INVALID (RC_TOOLARGE for the limits) with e->field holding the path of
 * the offending node ("conditions.all[2].value", truncated to fit) and e->msg
 * "path: 中文说明", e.g. "conditions.all[2].value: 区间下限大于上限".
 */
enum rc rules_compile(const struct rules_catalog *cat, const struct rules_named *named,
                      const json_t *rule, int64_t policy_id, const struct rules_opts *opts,
                      struct rules_policy **out, struct err *e) WARN_UNUSED;
/* Frees p (NULL is fine). Never free a policy that a set owns. */
void rules_policy_free(struct rules_policy *p);
/* Returns the policy id given to rules_compile. */
int64_t rules_policy_id(const struct rules_policy *p);
/* Returns the number of facts the policy reads and the names (borrowed from the catalogue). */
size_t rules_policy_facts(const struct rules_policy *p, const char **names, size_t max);
/*
 * Returns the policy's conditions as a new JsonLogic object (complete-data semantics:
 * every fact present; money in fen, decimals as numbers, dates as "YYYY-MM-DD" strings
 * compared as strings, years_since through the variable "years_since.<fact>",
 * tag sets as arrays; manual conditions as {"var": "manual.<id>"}).
 */
json_t *rules_to_jsonlogic(const struct rules_policy *p);

/* ---- sets ------------------------------------------------------------------- */

/*
 * Returns a new set of the n policies (steals every policies[i]; the array itself is
 * borrowed). Policies are kept in the given order (index 0 .. n-1); ids need not be
 * sorted but must be distinct. The set holds one reference (rules_set_free).
 */
struct rules_set *rules_set_new(const struct rules_catalog *cat, struct rules_policy **policies,
                                size_t n);
/* Adds a reference to set (atomic; for readers of a set that a reload may swap). Returns set. */
struct rules_set *rules_set_incref(struct rules_set *set);
/* Drops a reference; the last frees the set and its policies (NULL is fine). */
void rules_set_free(struct rules_set *set);
/* Returns the number of policies in set. */
size_t rules_set_size(const struct rules_set *set);
/* Returns policy i of set (borrowed, valid for the set's life). */
const struct rules_policy *rules_set_policy(const struct rules_set *set, size_t i);
/* Returns the index of the policy with id, or -1. */
long rules_set_find(const struct rules_set *set, int64_t policy_id);
/* Returns the number of distinct leaves (conditions) of the set after deduplication. */
size_t rules_set_leaves(const struct rules_set *set);

/* ---- one enterprise's facts --------------------------------------------------- */

/* Returns new, empty facts for cat (rules_facts_free). Reusable with rules_facts_clear. */
struct rules_facts *rules_facts_new(const struct rules_catalog *cat);
/* Frees f (NULL is fine). */
void rules_facts_free(struct rules_facts *f);
/* Forgets every value of f. */
void rules_facts_clear(struct rules_facts *f);
/*
 * Sets fact name from its canonical text as stored by ent: int "120", money fen
 * "80000000", decimal "12.5", date "2024-01-01", code "340104", bool "true"/"false",
 * tagset "a;b" (unknown tags are ignored). authoritative: the value's status.
 * RC_NOTFOUND for an unknown fact, RC_INVALID for bad text (e->field = name); on an
 * error the fact stays as it was (a caller may ignore the result: a bad stored value
 * then simply counts as missing).
 */
enum rc rules_facts_set(struct rules_facts *f, const char *name, const char *canon,
                        bool authoritative, struct err *e);
/* Adds one tag to the tagset fact name (it becomes present). RC_NOTFOUND as above; an
 * unknown tag is ignored. */
enum rc rules_facts_add_tag(struct rules_facts *f, const char *name, const char *tag,
                            bool authoritative, struct err *e);
/* Marks fact name missing again. */
void rules_facts_unset(struct rules_facts *f, const char *name);

/* ---- row evaluation ------------------------------------------------------------ */

/* Flags of rules_eval. */
#define RULES_EXPLAIN 1u /* write the explanation trees (JSON text) */

/* The result of one policy for one enterprise. Members are read-only. */
struct rules_result {
    int64_t policy_id;
    enum rules_outcome outcome;
    enum rules_amount amount_state; /* after the second pass */
    int64_t amount;                 /* fen when RULES_AMOUNT_KNOWN, else 0 */
    int64_t amount_before;          /* the amount before the second pass */
    bool authoritative;             /* every fact read by a TRUE leaf is authoritative */
    bool to_verify;                 /* rules_row_verify lowered it: rests on self-declared data */
    int64_t excluded_by;            /* exclusive group: the policy that kept it, or 0 */
    bool capped;                    /* cap group: cut (or zeroed) by the group's cap */
    const char **missing;           /* possibly: facts of the UNKNOWN leaves (borrowed) */
    size_t n_missing;
    /*
     * RULES_EXPLAIN: the explanation tree as compact JSON text (owned by the row; NULL
     * without the flag), written straight from fragments made at compile time, so a
     * caller can copy it into a response as it is. Each node is an object: path, id,
     * label, source (文号 and article, when given), status ("true" "false" "unknown"
     * "manual"); a condition adds expected, fact, actual (null when missing) and text;
     * a combinator adds text and children. rules_result_explanation parses it.
     */
    const char *explanation;
    size_t explanation_len;
};

/* The results of one enterprise against a set. Members are read-only. */
struct rules_row {
    struct rules_result *results; /* one per policy of the set, in set order */
    size_t n;
    const char **missing;   /* missing facts ranked: most possibly-eligible policies first */
    size_t *missing_counts; /* how many possibly-eligible policies each would help decide */
    size_t n_missing;
    char *text_; /* private: the explanations' storage */
    const struct rules_set *set_; /* private: the set the row was evaluated against */
    unsigned char *tv_;     /* private: every node's value, policies in set order */
    struct rules__frag *actual_; /* private: rules_explain's formatted values, per fact */
    size_t n_facts_;
};

/*
 * Evaluates f against every policy of set on day today (days since 1970-01-01,
 * Asia/Shanghai date), runs the second pass, and returns a new *out (rules_row_free).
 * Thread-safe for distinct f. Returns RC_OK (RC_INVALID if f is of another catalogue).
 */
enum rc rules_eval(const struct rules_set *set, const struct rules_facts *f, int64_t today,
                   unsigned flags, struct rules_row **out, struct err *e) WARN_UNUSED;
/* Frees row and its explanations (NULL is fine). */
void rules_row_free(struct rules_row *row);
/*
 * Lowers every eligible result of row whose TRUE leaves read a value that is not
 * authoritative (self-declared) to possibly eligible, with to_verify set: such a decision
 * is "to be verified" (待核实), never a grant or an approval. Amounts are kept as
 * estimates; the second pass already ran and is not redone.
 */
void rules_row_verify(struct rules_row *row);
/* Returns r's explanation as a new Jansson tree, or NULL when it has none. */
json_t *rules_result_explanation(const struct rules_result *r);
/*
 * Appends the explanation of policy i of set to out, for the row rules_eval made from f
 * on day today: the same text as rules_eval's RULES_EXPLAIN gives for it, written
 * straight into the caller's buffer (a response), so a caller that orders the policies
 * itself copies each explanation once. Nothing is evaluated again (the row keeps every
 * node's value) and each fact's value is formatted once per row, so the row is written
 * to (not thread-safe for one row). RC_INVALID for another set, catalogue or a bad i,
 * RC_TOOLARGE when out's cap is hit.
 */
enum rc rules_explain(const struct rules_set *set, struct rules_row *row,
                      const struct rules_facts *f, int64_t today, size_t i, struct buf *out,
                      struct err *e) WARN_UNUSED;
/*
 * Compact explanations: an answer that carries, per policy, only what depends on the
 * enterprise; the rest (the template) is the same for every enterprise and is sent once
 * per set. Joined up they give exactly rules_explain's tree (docs/internals/rules.md):
 *
 * rules_explain_template appends the template of policy i as a JSON object: each node has
 * the path, id, label, source (when given) of rules_explain's node, "kind" (all any not
 * at_least leaf), "k" (at_least); a combinator has "text_before" (its text up to the
 * counts) and "children"; a leaf has "expected", "fact" (not for manual), "manual" or
 * "years" (true, when so), "text_missing" (the text when its fact is missing; a manual
 * leaf's only text), "text_before" and "text_after" (the text is text_before + actual +
 * text_after). RC_INVALID for a bad i, RC_TOOLARGE at out's cap.
 */
enum rc rules_explain_template(const struct rules_set *set, size_t i, struct buf *out,
                               struct err *e) WARN_UNUSED;
/* Returns the number of nodes in policy i's explanation (0 for a bad i). */
size_t rules_explain_nodes(const struct rules_set *set, size_t i);
/*
 * Writes one letter per node of policy i into out (rules_explain_nodes bytes, no NUL), in
 * the template's order (depth first, a node before its children): f t u (false, true,
 * unknown) or m (a manual leaf, which counts as unknown in its parent's counts). The row
 * must come from rules_eval on set (else RC_INVALID).
 */
enum rc rules_explain_status(const struct rules_set *set, const struct rules_row *row, size_t i,
                             char *out, struct err *e) WARN_UNUSED;
/*
 * Appends the actual values the explanations show, as one JSON object {fact: text}: every
 * fact present in f and read by a leaf of set, formatted as rules_explain writes it; with
 * years, the facts read by years_since leaves ("N年（date）" on day today). A leaf's fact
 * that is absent from the object is missing. The row is written to (values are formatted
 * once per row, shared with rules_explain).
 */
enum rc rules_explain_values(const struct rules_set *set, struct rules_row *row,
                             const struct rules_facts *f, int64_t today, bool years,
                             struct buf *out, struct err *e) WARN_UNUSED;
/* Returns about how many bytes the explanations of one row against set take (to reserve). */
size_t rules_set_explain_size(const struct rules_set *set);
/* Returns "eligible", "ineligible", "possibly_eligible" or "manual_review". */
const char *rules_outcome_name(enum rules_outcome o);

/* ---- columnar batch ---------------------------------------------------------------- */

/* Returns a new table of n_rows rows, every fact missing (rules_table_free). */
struct rules_table *rules_table_new(const struct rules_catalog *cat, size_t n_rows);
/* Frees t (NULL is fine). */
void rules_table_free(struct rules_table *t);
/* Returns the number of rows of t. */
size_t rules_table_rows(const struct rules_table *t);
/*
 * Sets fact (catalogue index) of row from canonical text, as rules_facts_set.
 * RC_INVALID for bad text or a bad index. Not thread-safe for the same table.
 */
enum rc rules_table_set(struct rules_table *t, size_t row, int fact, const char *canon,
                        struct err *e);
/*
 * Sets a numeric fact directly: int, money (fen), decimal (× 10^4), date (days since
 * 1970-01-01) or bool (0/1). Other types are ignored (use rules_table_set).
 */
void rules_table_set_int(struct rules_table *t, size_t row, int fact, int64_t v);

/* Per-policy counts of a batch run. */
struct rules_counts {
    size_t eligible, possibly, manual, ineligible;
    int64_t amount_total; /* fen: the known amounts of eligible rows, after the second pass */
};

/* One (row, policy) result of a batch run that is not ineligible. */
struct rules_hit {
    size_t row;
    size_t policy;          /* index in the set */
    enum rules_outcome outcome;
    enum rules_amount amount_state;
    int64_t amount;         /* fen, after the second pass */
    int64_t excluded_by;
    bool capped;
};

/*
 * Called for each (row, policy) whose outcome is not ineligible. Called from worker
 * threads concurrently (each thread owns whole row ranges; a row's hits come
 * together, in policy order); cb must be thread-safe. May be NULL.
 */
typedef void (*rules_batch_cb)(void *ctx, const struct rules_hit *hit);

/*
 * Evaluates every row of t against every policy of set on day today with n_threads
 * threads (0 or 1 = the calling thread only), including the second pass, and
 * calls cb for the hits. counts_out, if not NULL, is an array of rules_set_size(set)
 * counts, overwritten. Returns RC_OK, or RC_INVALID if t is of another catalogue.
 */
enum rc rules_batch_run(const struct rules_set *set, const struct rules_table *t, int64_t today,
                        int n_threads, rules_batch_cb cb, void *ctx,
                        struct rules_counts *counts_out, struct err *e) WARN_UNUSED;

#endif
