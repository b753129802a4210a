/* SPDX-License-Identifier: Apache-2.0 */
/* audit: hash-chained append, verification and listing. */
#include "audit.h"
#include "audit_checkpoint.h"

#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/jsonx.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../store/store.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Computes SHA-256(prev || canonical event) into out. */
static enum rc chain_hash(const char *prev, int64_t seq, int64_t at, const char *actor,
                          const char *org, const char *action, const char *entity, const char *id,
                          const char *before, const char *after, char out[SEC_HEX_SHA256])
{
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    enum rc rc = buf_printf(&b, "%s%lld\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", prev,
                            (long long)seq, (long long)at, actor, org, action, entity, id,
                            before ? before : "", after ? after : "");
    if (rc == RC_OK)
        sec_sha256_hex(buf_str(&b), buf_len(&b), out);
    buf_cleanup(&b);
    return rc;
}

/* The checkpoint of cps at seq whose hash differs from hash, or NULL. */
static const struct audit_checkpoint *at_seq(const struct audit_checkpoint *cps, size_t n,
                                             int64_t seq, const char *hash)
{
    for (size_t i = 0; i < n; i++)
        if (cps[i].seq == seq && strcmp(cps[i].hash, hash) != 0)
            return &cps[i];
    return NULL;
}

enum rc audit_append(struct conn *c, const struct audit_actor *who, const struct audit_event *ev,
                     int64_t *seq_out, struct err *e)
{
    if (!store_in_txn(c))
        return err_set(e, RC_INTERNAL, NULL, "audit_append outside a transaction");
    struct stmt *st = NULL;
    char *before = ev->before ? jsonx_canonical(ev->before) : NULL;
    char *after = ev->after ? jsonx_canonical(ev->after) : NULL;
    char prev[SEC_HEX_SHA256] = "", hash[SEC_HEX_SHA256];
    int64_t seq = 0, at = time_now_ms();
    /* The head is read locked and written once: each UPDATE of the one row leaves a dead
     * version behind, which every later append on PostgreSQL walks until it is pruned
     * (two per append made appends under load several times dearer). */
    enum rc rc = store_prepare_locked(c, "SELECT h.seq, h.hash FROM audit_head h WHERE h.id = 1",
                                      "h", &st, e);
    if (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        seq = store_int(st, 0) + 1;
        snprintf(prev, sizeof(prev), "%s", store_text(st, 1));
        rc = store_step(st, e) == RC_DONE ? RC_OK : RC_INTERNAL;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_INTERNAL, NULL, "audit_head row missing");
    }
    store_finish(st);
    st = NULL;
    if (rc)
        goto out;
    rc = chain_hash(prev, seq, at, who->name, who->org ? who->org : "", ev->action, ev->entity,
                    ev->entity_id, before, after, hash);
    /* The record and the head's UPDATE are one statement where the backend can
     * (store_prepare_joined): a statement on PostgreSQL costs a round trip and ~50 us of
     * the server's CPU, on every audited write. */
    static const char head_sql[] = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";
    bool joined = false;
    if (rc == RC_OK)
        rc = store_prepare_joined(c,
                                  "INSERT INTO audit (seq, at, actor, org, action, entity, "
                                  "entity_id, before, after, prev_hash, hash) VALUES "
                                  "(?,?,?,?,?,?,?,?,?,?,?)",
                                  head_sql, &joined, &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, seq);
        store_bind_int(st, 2, at);
        store_bind_text(st, 3, who->name);
        store_bind_text(st, 4, who->org ? who->org : "");
        store_bind_text(st, 5, ev->action);
        store_bind_text(st, 6, ev->entity);
        store_bind_text(st, 7, ev->entity_id);
        store_bind_text(st, 8, before);
        store_bind_text(st, 9, after);
        store_bind_text(st, 10, prev);
        store_bind_text(st, 11, hash);
        if (joined) {
            store_bind_int(st, 12, seq);
            store_bind_text(st, 13, hash);
        }
        rc = store_run_later(st, e); /* with the head's UPDATE and the COMMIT */
    }
    store_finish(st);
    st = NULL;
    if (rc == RC_OK && !joined)
        rc = store_prepare(c, head_sql, &st, e);
    if (rc == RC_OK && !joined) {
        store_bind_int(st, 1, seq);
        store_bind_text(st, 2, hash);
        rc = store_run_later(st, e);
    }
    store_finish(st);
    if (rc == RC_OK && seq_out)
        *seq_out = seq;
out:
    xfree(before);
    xfree(after);
    return rc;
}

enum rc audit_verify(struct store *s, struct audit_report *r, struct err *e)
{
    return audit_verify_with(s, NULL, 0, r, e);
}

enum rc audit_verify_with(struct store *s, const struct audit_checkpoint *cps, size_t n_cps,
                          struct audit_report *r, struct err *e)
{
    struct conn *c = NULL;
    struct stmt *st = NULL;
    memset(r, 0, sizeof(*r));
    char prev[SEC_HEX_SHA256] = ZERO_HASH;
    int64_t expect = 1;
    enum rc rc = store_acquire(s, &c, e);
    if (rc)
        return rc;
    rc = store_prepare(c,
                       "SELECT seq, at, actor, org, action, entity, entity_id, before, after, "
                       "prev_hash, hash FROM audit ORDER BY seq",
                       &st, e);
    while (rc == RC_OK && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        int64_t seq = store_int(st, 0);
        r->n_checked++;
        const char *stored_prev = store_text(st, 9), *stored = store_text(st, 10);
        char hash[SEC_HEX_SHA256];
        if (seq != expect) {
            r->first_bad = expect;
            snprintf(r->why, sizeof(r->why), "第 %lld 条缺失（下一条为 %lld）", (long long)expect,
                     (long long)seq);
            break;
        }
        if (strcmp(stored_prev, prev) != 0) {
            r->first_bad = seq;
            snprintf(r->why, sizeof(r->why), "prev_hash 与上一条的 hash 不一致");
            break;
        }
        rc = chain_hash(prev, seq, store_int(st, 1), store_text(st, 2), store_text(st, 3),
                        store_text(st, 4), store_text(st, 5), store_text(st, 6), store_text(st, 7),
                        store_text(st, 8), hash);
        if (rc)
            break;
        if (strcmp(hash, stored) != 0) {
            r->first_bad = seq;
            snprintf(r->why, sizeof(r->why), "内容被改动：重新计算的 hash 与记录不符");
            break;
        }
        const struct audit_checkpoint *cp = at_seq(cps, n_cps, seq, hash);
        if (cp) {
            char when[40];
            time_fmt_cst(cp->at, when, sizeof(when));
            r->first_bad = seq;
            snprintf(r->why, sizeof(r->why), "与 %s 签署的检查点不符：此条或之前的记录被改写",
                     when);
            break;
        }
        memcpy(prev, hash, sizeof(prev));
        expect++;
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    st = NULL;
    r->last_seq = expect - 1;
    memcpy(r->last_hash, prev, sizeof(r->last_hash));
    /* The head must point at the last row, or rows were removed from the end. */
    if (rc == RC_OK && r->first_bad == 0)
        rc = store_prepare(c, "SELECT seq, hash FROM audit_head WHERE id = 1", &st, e);
    if (rc == RC_OK && r->first_bad == 0 && (rc = store_step(st, e)) == RC_ROW) {
        rc = RC_OK;
        if (store_int(st, 0) != expect - 1 || strcmp(store_text(st, 1), prev) != 0) {
            r->first_bad = expect;
            snprintf(r->why, sizeof(r->why), "链尾不一致：audit_head 记录 %lld 条，实有 %lld 条",
                     (long long)store_int(st, 0), (long long)(expect - 1));
        }
    }
    if (rc == RC_DONE)
        rc = RC_OK;
    store_finish(st);
    store_release(c);
    /* A checkpoint past the last row: the tail was cut off (head rewound with it). */
    for (size_t i = 0; rc == RC_OK && r->first_bad == 0 && i < n_cps; i++) {
        if (cps[i].seq > expect - 1) {
            char when[40];
            time_fmt_cst(cps[i].at, when, sizeof(when));
            r->first_bad = expect;
            snprintf(r->why, sizeof(r->why), "链尾被截断：%s 签署的检查点有 %lld 条，实有 %lld 条",
                     when, (long long)cps[i].seq, (long long)(expect - 1));
        }
    }
    return rc;
}

static json_t *parse_or_null(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    return j ? j : json_string(s);
}

enum rc audit_list(struct conn *c, const char *region_prefix, const char *entity,
                   const char *entity_id, int64_t before_seq, int limit, json_t **out,
                   struct err *e)
{
    struct stmt *st = NULL;
    /* An event belongs to the actor's organisation, or to the enterprise of an
     * enterprise user (audit_actor.org holds its credit code). */
    enum rc rc = store_prepare(
        c,
        "SELECT seq, at, actor, org, action, entity, entity_id, before, after, hash FROM audit "
        "WHERE (CAST(? AS TEXT) IS NULL OR entity = ?) AND (CAST(? AS TEXT) IS NULL OR entity_id = "
        "?) "
        "AND (? <= 0 OR seq < ?) "
        "AND (CAST(? AS TEXT) IS NULL "
        "OR org IN (SELECT code FROM orgs WHERE region >= ? AND region < ?) "
        "OR org IN (SELECT credit_code FROM enterprises WHERE region >= ? AND region < ?)) "
        "ORDER BY seq DESC LIMIT ?",
        &st, e);
    if (rc)
        return rc;
    char hi[16];
    snprintf(hi, sizeof(hi), "%s:", region_prefix ? region_prefix : "~");
    store_bind_text(st, 1, entity);
    store_bind_text(st, 2, entity);
    store_bind_text(st, 3, entity_id);
    store_bind_text(st, 4, entity_id);
    store_bind_int(st, 5, before_seq);
    store_bind_int(st, 6, before_seq);
    store_bind_text(st, 7, region_prefix);
    store_bind_text(st, 8, region_prefix ? region_prefix : "~");
    store_bind_text(st, 9, hi);
    store_bind_text(st, 10, region_prefix ? region_prefix : "~");
    store_bind_text(st, 11, hi);
    store_bind_int(st, 12, limit);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        char at[40];
        time_fmt_cst(store_int(st, 1), at, sizeof(at));
        json_array_append_new(
            arr,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "seq",
                      (json_int_t)store_int(st, 0), "at", at, "actor", store_text(st, 2), "org",
                      store_text(st, 3), "action", store_text(st, 4), "entity", store_text(st, 5),
                      "id", store_text(st, 6), "before", parse_or_null(store_text(st, 7)), "after",
                      parse_or_null(store_text(st, 8)), "hash", store_text(st, 9)));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}
