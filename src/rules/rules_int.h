/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_int: the compiled form shared by rules.c (catalogue, named conditions, sets,
 * facts), rules_compile.c (the compiler), rules_explain.c (explanation fragments and
 * templates, JsonLogic export), rules_eval.c (scalar and row evaluation, explanations,
 * amounts, second pass) and rules_batch.c (the columnar evaluator). See
 * docs/internals/rules.md "Implementation".
 */
#ifndef QIFU_RULES_INT_H
#define QIFU_RULES_INT_H

#include <stdatomic.h>

#include "rules.h"

#define RULES_MAX_TAGS 64
#define RULES_CODE_MAX 68 /* ent allows codes of up to 64 bytes */

enum rules__code_kind { CODE_PLAIN, CODE_REGION, CODE_INDUSTRY };

struct rules__fact {
    char *name, *label, *unit, *code_values;
    enum rules_type type;
    enum rules__code_kind code_kind;
};

struct rules_catalog {
    struct rules__fact *facts;
    size_t n, cap;
    char *tag_code[RULES_MAX_TAGS], *tag_label[RULES_MAX_TAGS];
    int n_tags;
};

/* One fact value of one enterprise (row evaluator; also built for a table row). */
struct rules__val {
    bool present, auth;
    int64_t i;                 /* int, money, decimal ×10^4, date days, bool 0/1 */
    uint64_t tags;             /* tagset: bit i = catalogue tag i */
    char code[RULES_CODE_MAX]; /* code text */
};

struct rules_facts {
    const struct rules_catalog *cat;
    struct rules__val *vals; /* one per catalogue fact */
};

enum rules__op {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_BETWEEN, OP_IN, OP_NOT_IN, OP_PREFIX_IN,
    OP_HAS, OP_HAS_ANY, OP_HAS_ALL, OP_EXISTS, OP_YEARS_SINCE, OP_MANUAL
};

/* A condition (leaf), compiled. Leaves equal by key are shared within a set. */
struct rules__leaf {
    int fact;            /* catalogue index; -1 for manual */
    enum rules__op op;
    enum rules__op cmp;  /* years_since: the comparison */
    int64_t a, b;        /* thresholds: value, [a, b] for between, years for years_since */
    int64_t *list;       /* in / not_in on numbers, sorted */
    char **strs;         /* code values of eq ne in not_in prefix_in */
    size_t n_list;
    uint64_t mask;       /* tags */
    char *key;           /* canonical text, for deduplication */
    char *expected;      /* Chinese rendering of the requirement ("≥ 1000万元") */
};

/* A piece of JSON text (owned). */
struct rules__frag {
    char *s;
    size_t n;
};

enum rules__kind { N_LEAF, N_ALL, N_ANY, N_NOT, N_ATLEAST };

struct rules__node {
    enum rules__kind kind;
    int k;             /* at_least */
    int leaf;          /* N_LEAF: policy-local leaf index */
    int *kids;         /* node indices */
    int n_kids;
    char *path, *id, *label, *source;
    /* Fragments of the node's explanation as JSON text, made once at compile time
     * (rules__explain_fragments in rules_explain.c) so that rules_eval writes an
     * explanation by copying bytes: see rules_eval.c "explanations" for how they join up. */
    struct rules__frag x_head;  /* {"path":…,"id":…,"label":…[,"source":…] */
    struct rules__frag x_leaf;  /* leaf: ,"expected":…[,"fact":…] */
    struct rules__frag x_none;  /* leaf: ,"actual":null,"text":"…缺少数据…"} (manual: its text) */
    struct rules__frag x_text;  /* leaf: ,"text":"<subject> ; combinator: ,"text":"<label>： */
    struct rules__frag x_need;  /* leaf: ，需 <expected>"} (exists: "}) */
    /* (the fragments of all nodes of a policy lie in its x_block, in node order) */
};

enum rules__akind { A_FIXED, A_RATE, A_TIERS, A_MIN, A_MAX };

struct rules__amount {
    enum rules__akind kind;
    int64_t fixed;
    int base;             /* A_RATE: fact index */
    int64_t rate;         /* × 10^6 */
    bool has_cap, has_floor, round_yuan;
    int64_t cap, floor;
    int *when;            /* A_TIERS: condition node per tier */
    int *parts;           /* A_TIERS: amount per tier (then else, if has_else); A_MIN/MAX */
    int n_parts;
    bool has_else;
};

/* One step of a policy's evaluation program (made with its set: rules_set_new): the nodes
 * under the root in reverse preorder, so each comes after its children, and read backwards
 * they are in the explanation's order. */
struct rules__step {
    uint8_t kind;   /* enum rules__kind */
    uint8_t manual; /* a manual leaf */
    int32_t node;   /* node index (its value's place in a row's tv) */
    int32_t k;      /* at_least */
    int32_t a;      /* leaf: set-global leaf index; combinator: first kid in op_kids */
    int32_t b;      /* leaf: fact index; combinator: number of kids */
};

struct rules_policy {
    int64_t id;
    const struct rules_catalog *cat;
    struct rules__node *nodes;
    int n_nodes, cap_nodes;
    int root;                  /* node index of the conditions */
    struct rules__leaf *leaves; /* policy-local */
    int n_leaves, cap_leaves;
    int *gleaf;                /* set-global leaf index of each local leaf (in a set) */
    struct rules__step *ops;     /* the evaluation program (in a set) */
    int n_ops;
    int32_t *op_kids;          /* the combinators' kids (node indices) */
    struct rules__amount *amounts;
    int n_amounts, cap_amounts;
    int amount;                /* root amount index, -1 for none */
    bool has_manual;
    char *exclusive_group;     /* or NULL */
    char *cap_group;           /* or NULL */
    int64_t cap;
    char *x_block;             /* every node's fragments, contiguous (read in order) */
    size_t x_size;             /* bytes of the fragments plus room for the values: the
                                * explanation's usual size, to reserve it at once */
    int *amount_facts;         /* facts read by the amount (tiers included) */
    int n_amount_facts;
};

/* A group of the second pass: policy indices sorted by id. */
struct rules__group {
    bool is_cap;
    int64_t cap;
    size_t *members;
    size_t n;
};

struct rules__by_id {
    int64_t id;
    size_t i;
};

struct rules_set {
    atomic_int refs;
    const struct rules_catalog *cat;
    struct rules_policy **pols;
    size_t n;
    const struct rules__leaf **leaves; /* distinct leaves (borrowed from the policies) */
    size_t n_leaves;
    struct rules__group *groups;
    size_t n_groups;
    int *group_of;                     /* per policy: exclusive group index or -1 */
    int *cap_of;                       /* per policy: cap group index or -1 */
    struct rules__by_id *by_id;        /* (id, index) sorted by id: rules_set_find */
    size_t x_size;                     /* sum of the policies' x_size */
    size_t *node_off;                  /* per policy: where its nodes' values start in a
                                        * row's (rules_row.tv_); [n] = all nodes */
    uint8_t *fact_use;                 /* per catalogue fact: FACT_PLAIN | FACT_YEARS when
                                        * a leaf reads it as it is / by years_since */
};

/* Appends to a capped buffer; text past the cap is dropped (explanations only). */
#define BP(...)                                                                                    \
    do {                                                                                           \
        if (buf_printf(__VA_ARGS__)) {                                                             \
        }                                                                                          \
    } while (0)

/* Appends the characters of s escaped for JSON, without quotes (s may be a whole string
 * split in pieces: escaping is per character, so the pieces join up). */
void rules__escape(struct buf *b, const char *s);

enum { FACT_PLAIN = 1, FACT_YEARS = 2 }; /* rules_set.fact_use */

/* Kleene values. */
enum rules__tv { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

/* Evaluates leaf l (not manual) on values vals (one per catalogue fact) on day today. */
enum rules__tv rules__leaf_eval(const struct rules_catalog *cat, const struct rules__leaf *l,
                                const struct rules__val *vals, int64_t today);
/* Evaluates node n of p; manual leaves count as manual_as. */
enum rules__tv rules__node_eval(const struct rules_policy *p, int n, const struct rules__val *vals,
                                int64_t today, enum rules__tv manual_as);
/* Computes amount a of p: returns RULES_AMOUNT_KNOWN with *fen, or RULES_AMOUNT_UNKNOWN. */
enum rules_amount rules__amount_eval(const struct rules_policy *p, int a,
                                     const struct rules__val *vals, int64_t today, int64_t *fen);
/* Returns whether years_since(date) cmp years holds on day today. */
bool rules__years_cmp(int64_t date, int64_t today, enum rules__op cmp, int64_t years);
/* Returns the largest day d with years_since(d, today) >= years. */
int64_t rules__years_limit(int64_t today, int64_t years);
/* Does code value s match leaf l (eq/ne/in/not_in/prefix_in) of a fact of kind kind? */
bool rules__code_match(const struct rules__leaf *l, enum rules__code_kind kind, const char *s);
/* Parses canonical text of a fact of type t into v (present set). false on bad text. */
bool rules__parse_val(const struct rules_catalog *cat, const struct rules__fact *f,
                      const char *canon, struct rules__val *v);

/* One policy's result for the second pass. */
struct rules__pass {
    enum rules_outcome outcome;
    enum rules_amount state;
    int64_t amount;
    int64_t excluded_by;
    bool capped;
};
/* Runs the second pass over r (one per policy of set, set order). */
void rules__second_pass(const struct rules_set *set, struct rules__pass *r);

/* Shared by the files of rules: defined in rules.c unless said otherwise. */

/* The index of tag code in cat, or -1. */
int rules__tag_index(const struct rules_catalog *cat, const char *code);
/* Parses a decimal with at most places fractional digits into value × 10^places. */
bool rules__parse_fixed(const char *s, int places, int64_t *out);
/* Parses a date YYYY-MM-DD (years 1800–2200) into days. */
bool rules__parse_date(const char *s, int64_t *days);
/* Jansson's iterators take non-const objects; they do not modify them. */
json_t *rules__unconst(const json_t *j);
/* The definition of named condition name, or NULL. */
const json_t *rules__named_find(const struct rules_named *nc, const char *name);
/* Writes a fixed-point value with up to places decimals, trailing zeros dropped. */
void rules__fmt_fixed(int64_t v, int places, char *out, size_t n);
/* Renders a numeric value of fact f: money 800万元 / 12.5元, int 120人, decimal 12.5%, dates. */
void rules__fmt_num(const struct rules__fact *f, int64_t v, char *out, size_t n);
/* Renders a code (or code prefix) with its Chinese name where one is known. */
void rules__fmt_code(const struct rules__fact *f, const char *code, char *out, size_t n);
/* Makes the explanation fragments of every node of p once (rules_explain.c; see struct
 * rules__node). */
void rules__explain_fragments(struct rules_policy *p);

#endif
