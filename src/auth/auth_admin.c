/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_admin: changing and resetting passwords, disabling and enabling users, listing
 * and revoking API keys. Every change is audited in its transaction; a password change,
 * a reset and disabling end the user's sessions in that transaction and notify the "auth"
 * topic (store_notify), so the session cache of every process forgets them at commit.
 */
#include <stdio.h>
#include <string.h>

#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../store/store.h"
#include "auth_int.h"

enum rc auth__end_sessions(struct conn *c, int64_t user_id, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c, "DELETE FROM sessions WHERE user_id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, user_id);
    rc = store_run(st, e);
    store_finish(st);
    if (rc == RC_OK) /* every process's session cache forgets them at commit */
        rc = store_notify(c, STORE_TOPIC_AUTH, e);
    return rc;
}

/* Sets the password hash of user id and ends the user's sessions (in the caller's txn). */
static enum rc set_hash(struct conn *c, int64_t id, const char *hash, struct err *e)
{
    struct stmt *st;
    enum rc rc =
        store_prepare(c, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, hash);
    store_bind_int(st, 2, time_now_ms());
    store_bind_int(st, 3, id);
    rc = store_run(st, e);
    store_finish(st);
    if (rc == RC_OK)
        rc = auth__end_sessions(c, id, e);
    return rc;
}

/* Appends an audit event about user id (entity_id its id). */
static enum rc audit_user(struct conn *c, const struct audit_actor *who, const char *action,
                          int64_t id, const char *username, struct err *e)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    json_t *after = json_pack("{s:s}", "username", username);
    struct audit_event ev = {action, "user", sid, NULL, after};
    enum rc rc = audit_append(c, who, &ev, NULL, e);
    json_decref(after);
    return rc;
}

enum rc auth_password_change(struct conn *c, const struct principal *p, const char *old_password,
                             const char *new_password, const char *client_ip, int *retry_after,
                             struct err *e)
{
    struct stmt *st;
    char old_hash[SEC_PWHASH_LEN] = "", hash[SEC_PWHASH_LEN] = "";
    if (!p->user_id)
        return err_set(e, RC_FORBIDDEN, NULL, "API 密钥没有密码");
    enum rc rc = auth_password_check(p->username, new_password, e);
    if (rc == RC_OK && strcmp(old_password, new_password) == 0)
        rc = err_set(e, RC_INVALID, "new_password", "新密码不能与原密码相同");
    /* Checking the old password is a login attempt: a stolen session must not guess it
     * past the login throttle. */
    if (rc == RC_OK)
        rc = auth__throttle_take(c, p->username, client_ip, time_now_ms(), retry_after, e);
    if (rc)
        return rc;
    rc = store_prepare(c, "SELECT password_hash FROM users WHERE id = ?", &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, p->user_id);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        snprintf(old_hash, sizeof(old_hash), "%s", store_text(st, 0));
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "用户不存在");
    }
    store_finish(st);
    if (rc)
        goto out;
    auth__hash_enter();
    bool ok = sec_pwverify(old_hash, old_password);
    auth__hash_leave();
    if (!ok) {
        rc = err_set(e, RC_BADLOGIN, "old_password", "原密码不正确");
        goto out;
    }
    rc = auth__pwhash(new_password, hash);
    if (rc) {
        err_set(e, rc, NULL, "password hashing failed");
        goto out;
    }
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = set_hash(c, p->user_id, hash, e);
    if (rc == RC_OK)
        rc = auth__throttle_success(c, p->username, client_ip, e);
    if (rc == RC_OK)
        rc = audit_user(c, &p->actor, "user.password_change", p->user_id, p->username, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    sec_wipe(old_hash, sizeof(old_hash));
    sec_wipe(hash, sizeof(hash));
    return rc;
}

bool auth_action_parse(const char *name, enum auth_action *out)
{
    static const char *const names[] = {"reset_password", "disable", "enable"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (enum auth_action)i;
            return true;
        }
    return false;
}

enum rc auth_user_action(struct conn *c, const struct audit_actor *who, int64_t who_user_id,
                         const char *username, enum auth_action action, const char *password,
                         struct err *e)
{
    static const char *const events[] = {"user.reset_password", "user.disable", "user.enable"};
    struct stmt *st = NULL;
    char hash[SEC_PWHASH_LEN] = "";
    int64_t id = 0;
    enum rc rc = store_prepare(c, "SELECT id FROM users WHERE username = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        id = store_int(st, 0);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "用户 %s 不存在", username);
    }
    store_finish(st);
    st = NULL;
    if (rc)
        return rc;
    if (action == AUTH_DISABLE && id == who_user_id)
        return err_set(e, RC_INVALID, "action", "不能停用自己的账号");
    if (action == AUTH_RESET_PASSWORD) {
        if (!password)
            return err_set(e, RC_INVALID, "password", "重置密码须提供新密码");
        rc = auth_password_check(username, password, e);
        if (rc == RC_OK && (rc = auth__pwhash(password, hash)))
            err_set(e, rc, NULL, "password hashing failed");
        if (rc)
            goto out;
    }
    rc = store_begin(c, e);
    if (rc)
        goto out;
    if (action == AUTH_RESET_PASSWORD) {
        rc = set_hash(c, id, hash, e);
    } else {
        rc = store_prepare(c, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", &st, e);
        if (rc == RC_OK) {
            store_bind_int(st, 1, action == AUTH_DISABLE);
            store_bind_int(st, 2, time_now_ms());
            store_bind_int(st, 3, id);
            rc = store_run(st, e);
        }
        store_finish(st);
        if (rc == RC_OK && action == AUTH_DISABLE)
            rc = auth__end_sessions(c, id, e);
        else if (rc == RC_OK)
            rc = store_notify(c, STORE_TOPIC_AUTH, e);
    }
    if (rc == RC_OK)
        rc = audit_user(c, who, events[action], id, username, e);
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    sec_wipe(hash, sizeof(hash));
    return rc;
}

enum rc auth_apikey_list(struct conn *c, const char *subtree_path, json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT k.id, k.name, o.code, k.prefix, k.created_at, k.revoked_at FROM api_keys k "
        "JOIN orgs o ON o.id = k.org_id WHERE (CAST(? AS TEXT) IS NULL OR o.path LIKE ? || '%') "
        "ORDER BY k.id",
        &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, subtree_path);
    store_bind_text(st, 2, subtree_path);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        char id[24], at[40];
        snprintf(id, sizeof(id), "%lld", (long long)store_int(st, 0));
        time_fmt_cst(store_int(st, 4), at, sizeof(at));
        json_t *k =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", store_text(st, 1), "org",
                      store_text(st, 2), "prefix", store_text(st, 3), "created_at", at);
        if (store_isnull(st, 5)) {
            json_object_set_new(k, "revoked_at", json_null());
        } else {
            time_fmt_cst(store_int(st, 5), at, sizeof(at));
            json_object_set_new(k, "revoked_at", json_string(at));
        }
        json_array_append_new(arr, k);
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

enum rc auth_apikey_revoke(struct conn *c, const struct audit_actor *who, const char *subtree_path,
                           int64_t id, struct err *e)
{
    struct stmt *st = NULL;
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "SELECT k.name, k.revoked_at FROM api_keys k JOIN orgs o ON o.id = "
                           "k.org_id WHERE k.id = ? AND (CAST(? AS TEXT) IS NULL OR o.path LIKE ? "
                           "|| '%')",
                           &st, e);
    json_t *before = NULL;
    if (rc == RC_OK) {
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, subtree_path);
        store_bind_text(st, 3, subtree_path);
        rc = store_step(st, e);
        if (rc == RC_ROW && !store_isnull(st, 1))
            rc = err_set(e, RC_STATE, NULL, "API 密钥已吊销");
        else if (rc == RC_ROW)
            before = json_pack("{s:s}", "name", store_text(st, 0)), rc = RC_OK;
        else if (rc == RC_DONE)
            rc = err_set(e, RC_NOTFOUND, NULL, "API 密钥 %s 不存在", sid);
    }
    store_finish(st);
    st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(c, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, time_now_ms());
        store_bind_int(st, 2, id);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK) /* keys are looked up on every request; told anyway, for any cache */
        rc = store_notify(c, STORE_TOPIC_AUTH, e);
    if (rc == RC_OK) {
        struct audit_event ev = {"apikey.revoke", "api_key", sid, before, NULL};
        rc = audit_append(c, who, &ev, NULL, e);
    }
    json_decref(before);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}
