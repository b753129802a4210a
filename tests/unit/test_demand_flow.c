/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/demand/demand_flow: every action x every state x every relation,
 * against an expectation written out independently here (DESIGN §5 and issue 4), so
 * a change to the table that is not also a change to this page fails.
 */
#include <string.h>

#include "demand/demand_flow.h"
#include "unit.h"

/* action, the states it may start from, the relations that may take it. */
static const struct {
    const char *action, *from, *who;
} expect[] = {
    {"accept", "submitted", "intake"},
    {"decline", "submitted", "intake"},
    {"answer_directly", "submitted accepted", "intake"},
    {"merge", "submitted accepted", "intake"},
    {"dispatch", "accepted", "intake"},
    {"sign", "dispatched", "lead"},
    {"return", "dispatched signed", "lead"},
    {"approve_return", "return_requested", "intake oversight"},
    {"reject_return", "return_requested", "intake oversight"},
    {"request_extension", "signed reopened rectifying", "lead"},
    {"approve_extension", "extension_requested", "oversight"},
    {"reject_extension", "extension_requested", "oversight"},
    {"interim_reply", "signed reopened rectifying", "lead"},
    {"assist", "dispatched signed reopened", "co"},
    {"reply", "signed reopened rectifying", "lead"},
    {"review_accept", "replied", "intake"},
    {"review_reject", "replied", "intake"},
    {"rate", "replied answered_directly", "owner"},
    {"callback", "replied rated rectifying answered_directly", "intake"},
    {"reopen", "rated archived", "intake oversight"},
    {"archive", "rated declined answered_directly merged", "intake"},
    {"urge", "dispatched signed reopened rectifying extension_requested return_requested",
     "oversight"},
    {"note",
     "submitted accepted declined answered_directly dispatched signed return_requested "
     "extension_requested replied reopened rated rectifying archived merged",
     "intake lead co oversight"},
};

static const struct {
    const char *name;
    unsigned bit;
} rels[] = {{"owner", REL_OWNER},
            {"intake", REL_INTAKE},
            {"lead", REL_LEAD},
            {"co", REL_CO},
            {"oversight", REL_OVERSIGHT}};

static bool word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

START_TEST(every_cell)
{
    int n;
    (void)demand_flow_actions(&n);
    ck_assert_int_eq(n, (int)(sizeof(expect) / sizeof(expect[0])));
    for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
        const struct demand_action *a = demand_flow_find(expect[k].action);
        ck_assert_msg(a, "action %s missing", expect[k].action);
        for (int s = 0; s < DS__COUNT; s++) {
            for (size_t r = 0; r < sizeof(rels) / sizeof(rels[0]); r++) {
                bool state_ok = word_in(expect[k].from, demand_state_name((enum demand_state)s));
                bool rel_ok = word_in(expect[k].who, rels[r].name);
                /* reviewed = true except for review_*, which need an unreviewed reply. */
                bool reviewed = strncmp(a->name, "review_", 7) != 0;
                struct err e;
                enum rc got = demand_flow_check(a, rels[r].bit, (enum demand_state)s, reviewed, &e);
                enum rc want = !rel_ok ? RC_FORBIDDEN : !state_ok ? RC_STATE : RC_OK;
                ck_assert_msg(got == want, "%s from %s by %s: got %s want %s", a->name,
                              demand_state_name((enum demand_state)s), rels[r].name, rc_name(got),
                              rc_name(want));
            }
        }
    }
}
END_TEST

START_TEST(review_gates)
{
    const struct demand_action *rate = demand_flow_find("rate");
    const struct demand_action *accept = demand_flow_find("review_accept");
    struct err e;
    /* The enterprise rates only a reply that passed review. */
    ck_assert_int_eq(demand_flow_check(rate, REL_OWNER, DS_REPLIED, false, &e), RC_STATE);
    ck_assert_int_eq(demand_flow_check(rate, REL_OWNER, DS_REPLIED, true, &e), RC_OK);
    /* A direct answer needs no review. */
    ck_assert_int_eq(demand_flow_check(rate, REL_OWNER, DS_ANSWERED_DIRECTLY, false, &e), RC_OK);
    /* A reply is reviewed once. */
    ck_assert_int_eq(demand_flow_check(accept, REL_INTAKE, DS_REPLIED, true, &e), RC_STATE);
    ck_assert(strstr(e.msg, "已审核") != NULL);
    /* Forbidden is decided before state: a stranger learns nothing. */
    ck_assert_int_eq(demand_flow_check(accept, REL_OWNER, DS_SUBMITTED, false, &e), RC_FORBIDDEN);
    ck_assert(strstr(e.msg, "无权") != NULL);
}
END_TEST

START_TEST(state_names)
{
    enum demand_state s;
    for (int i = 0; i < DS__COUNT; i++) {
        ck_assert(demand_state_parse(demand_state_name((enum demand_state)i), &s));
        ck_assert_int_eq(s, i);
        ck_assert_str_ne(demand_state_label((enum demand_state)i), "未知");
    }
    ck_assert(!demand_state_parse("closed", &s));
    ck_assert_str_eq(demand_state_label(DS_RECTIFYING), "整改中");
    ck_assert_ptr_null(demand_flow_find("fly"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("demand_flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, every_cell);
    tcase_add_test(tc, review_gates);
    tcase_add_test(tc, state_names);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
