/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_writes: when a session last wrote (sessions.wrote_at, migration 0018), for the
 * read replica's read-your-writes (docs/internals/store.md, "Read replica"). Kept apart
 * from the session lookup and its cache: wrote_at is read from the primary on every read
 * that could go to the replica, never from a cache.
 */
#include <string.h>

#include "../base/sec.h"
#include "../store/store.h"
#include "auth.h"

enum rc auth_session_stamp(struct conn *c, const char *token, int64_t now_ms, struct err *e)
{
    char token_hash[SEC_HEX_SHA256];
    struct stmt *st = NULL;
    sec_sha256_hex(token, strlen(token), token_hash);
    enum rc rc = store_begin_relaxed(c, e);
    if (rc == RC_OK)
        rc = store_prepare(
            c, "UPDATE sessions SET wrote_at = ? WHERE token_hash = ? AND wrote_at < ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, now_ms);
        store_bind_text(st, 2, token_hash);
        store_bind_int(st, 3, now_ms);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc auth_session_wrote_at(struct conn *c, const char *token, int64_t *out, struct err *e)
{
    char token_hash[SEC_HEX_SHA256];
    struct stmt *st;
    *out = 0;
    sec_sha256_hex(token, strlen(token), token_hash);
    enum rc rc = store_prepare(c, "SELECT wrote_at FROM sessions WHERE token_hash = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, token_hash);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        *out = store_int(st, 0), rc = RC_OK;
    else if (rc == RC_DONE)
        rc = RC_OK; /* gone meanwhile (logout): nothing to read back */
    store_finish(st);
    return rc;
}
