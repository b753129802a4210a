/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/demand/demand_flow: every action x every state x every relation,
 * against an expectation written out independently here (DESIGN §5 and issue 4), so
 * a change to the table that is not also a change to this page fails. The table is
 * checked through the kit's flow_check (src/flow), as flow_act checks it.
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
    {"withdraw", "submitted", "owner"},
    {"remind", "dispatched signed reopened rectifying extension_requested return_requested",
     "owner"},
    {"supplement",
     "submitted accepted dispatched signed return_requested extension_requested replied "
     "reopened rectifying",
     "owner"},
    {"note",
     "submitted accepted declined answered_directly dispatched signed return_requested "
     "extension_requested replied reopened rated rectifying archived merged withdrawn",
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
    const struct flow *f = &demand_flow;
    ck_assert_int_eq(f->n_actions, (int)(sizeof(expect) / sizeof(expect[0])));
    for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
        const struct flow_action *a = flow_find(f, expect[k].action);
        ck_assert_msg(a, "action %s missing", expect[k].action);
        for (int s = 0; s < DS__COUNT; s++) {
            for (size_t r = 0; r < sizeof(rels) / sizeof(rels[0]); r++) {
                bool state_ok = word_in(expect[k].from, demand_state_name((enum demand_state)s));
                bool rel_ok = word_in(expect[k].who, rels[r].name);
                /* reviewed = true except for review_*, which need an unreviewed reply. */
                bool reviewed = strncmp(a->name, "review_", 7) != 0;
                struct err e;
                unsigned conds = demand_conds((enum demand_state)s, reviewed);
                /* remind needs the running deadline passed (review_gates checks without). */
                if (strcmp(a->name, "remind") == 0)
                    conds |= DC_OVERDUE;
                enum rc got = flow_check(f, a, rels[r].bit, s, conds, &e);
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
    const struct flow *f = &demand_flow;
    const struct flow_action *rate = flow_find(f, "rate");
    const struct flow_action *accept = flow_find(f, "review_accept");
    struct err e;
#define CHECK(a, rel, s, reviewed) flow_check(f, (a), (rel), (s), demand_conds((s), (reviewed)), &e)
    /* The enterprise rates only a reply that passed review. */
    ck_assert_int_eq(CHECK(rate, REL_OWNER, DS_REPLIED, false), RC_STATE);
    ck_assert_str_eq(e.msg, "答复尚未审核通过，暂不能评价");
    ck_assert_int_eq(CHECK(rate, REL_OWNER, DS_REPLIED, true), RC_OK);
    /* A direct answer needs no review. */
    ck_assert_int_eq(CHECK(rate, REL_OWNER, DS_ANSWERED_DIRECTLY, false), RC_OK);
    /* A reply is reviewed once. */
    ck_assert_int_eq(CHECK(accept, REL_INTAKE, DS_REPLIED, true), RC_STATE);
    ck_assert_str_eq(e.msg, "答复已审核通过，不能再审核通过");
    ck_assert_int_eq(CHECK(accept, REL_INTAKE, DS_REPLIED, false), RC_OK);
    /* Forbidden is decided before state: a stranger learns nothing. */
    ck_assert_int_eq(CHECK(accept, REL_OWNER, DS_SUBMITTED, false), RC_FORBIDDEN);
    ck_assert_str_eq(e.msg, "您无权对该诉求执行“审核通过”");
    ck_assert_int_eq(CHECK(accept, REL_INTAKE, DS_SUBMITTED, false), RC_STATE);
    ck_assert_str_eq(e.msg, "诉求当前状态为“已提交”，不能执行“审核通过”");
    /* The enterprise's 催办 waits for the deadline to pass. */
    const struct flow_action *remind = flow_find(f, "remind");
    ck_assert_int_eq(flow_check(f, remind, REL_OWNER, DS_SIGNED, 0, &e), RC_STATE);
    ck_assert_str_eq(e.msg, "办理期限未到，尚未超期；超过期限后才能催办");
    ck_assert_int_eq(flow_check(f, remind, REL_OWNER, DS_SIGNED, DC_OVERDUE, &e), RC_OK);
#undef CHECK
}
END_TEST

/* The columns besides from and who: a note required, the event internal, the demand
 * left unsaved (its version unchanged). */
START_TEST(flags)
{
    static const char *const noted = "decline answer_directly return reject_return "
                                     "request_extension reject_extension interim_reply assist "
                                     "reply review_reject callback reopen urge note supplement";
    static const char *const unsaved = "note interim_reply assist callback urge remind supplement";
    for (int i = 0; i < demand_flow.n_actions; i++) {
        const struct flow_action *a = &demand_flow.actions[i];
        ck_assert_msg(!(a->flags & FLOW_NOTE) == !word_in(noted, a->name), "%s: note", a->name);
        ck_assert_msg(!(a->flags & FLOW_NO_SAVE) == !word_in(unsaved, a->name), "%s: save",
                      a->name);
        ck_assert_msg(!(a->flags & FLOW_INTERNAL) == (strcmp(a->name, "note") != 0), "%s: internal",
                      a->name);
    }
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
    ck_assert_ptr_null(flow_find(&demand_flow, "fly"));
    /* The urge's two forms keep their own labels in the timeline and the notices. */
    ck_assert_str_eq(flow_event_label(&demand_flow, "urge"), "催办");
    ck_assert_str_eq(flow_event_label(&demand_flow, "supervise"), "督办");
    ck_assert_str_eq(flow_event_label(&demand_flow, "sign"), "签收");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("demand_flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, every_cell);
    tcase_add_test(tc, review_gates);
    tcase_add_test(tc, flags);
    tcase_add_test(tc, state_names);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(suite)
