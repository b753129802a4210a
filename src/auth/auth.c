/* SPDX-License-Identifier: Apache-2.0 */
/* auth: users, sessions, throttling and API keys over the store. */
#include "auth.h"
#include "auth_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../base/jsonx.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/sec.h"
#include "../base/timeutil.h"
#include "../codes/codes.h"
#include "../org/org.h"
#include "../store/store.h"

static char *id_text(struct pool *pool, int64_t id)
{
    return pool_printf(pool, "%lld", (long long)id);
}

/* ---- users ----------------------------------------------------------------- */

static enum rc check_username(const char *u, struct err *e)
{
    size_t n = strlen(u);
    if (n < 3 || n > 32)
        return err_set(e, RC_INVALID, "username", "用户名长度应为 3 到 32 个字符");
    for (size_t i = 0; i < n; i++) {
        char ch = u[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              ch == '_' || ch == '.' || ch == '-'))
            return err_set(e, RC_INVALID, "username", "用户名只能包含字母、数字、_、. 和 -");
    }
    return RC_OK;
}

static json_t *user_json(int64_t id, const char *username, const char *display, const char *role,
                         const char *role_label, const char *org_code, const char *credit_code,
                         bool disabled)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", sid, "username", username,
                          "display_name", display, "role", role, "role_label",
                          role_label ? role_label : role, "disabled", disabled);
    json_object_set_new(j, "org", org_code ? json_string(org_code) : json_null());
    json_object_set_new(j, "credit_code", credit_code ? json_string(credit_code) : json_null());
    return j;
}

enum rc auth_user_create(struct conn *c, const struct audit_actor *who,
                         const struct auth_user_new *u, int64_t *out, struct err *e)
{
    return auth_user_create_hashed(c, who, u, NULL, out, e);
}

enum rc auth_user_create_hashed(struct conn *c, const struct audit_actor *who,
                                const struct auth_user_new *u, const char *made, int64_t *out,
                                struct err *e)
{
    struct pool pool;
    struct org org = {0};
    struct stmt *st = NULL;
    char hash[SEC_PWHASH_LEN];
    int64_t id = 0;
    const char *display = u->display_name && *u->display_name ? u->display_name : u->username;
    pool_init(&pool);
    enum rc rc = check_username(u->username, e);
    unsigned perms = 0;
    if (rc == RC_OK)
        rc = access_role_for_user(c, u->role, &perms, e);
    if (rc == RC_OK && (utf8_len(display) > 32))
        rc = err_set(e, RC_INVALID, "display_name", "姓名长度不能超过 32 个字符");
    if (rc == RC_OK && u->skip_policy && (utf8_len(u->password) < 4 || utf8_len(u->password) > 128))
        rc = err_set(e, RC_INVALID, "password", "密码长度应为 4 到 128 个字符");
    if (rc == RC_OK && !u->skip_policy)
        rc = auth_password_check(u->username, u->password, e);
    /* The role must be in the roles table; one that acts for an enterprise (ent.self) is
     * bound to a credit code, every other one to an organisation. */
    bool ent_user = (perms & ACCESS_BIT(ACCESS_ENT_SELF)) != 0;
    if (rc == RC_OK && ent_user) {
        if (!u->credit_code)
            rc = err_set(e, RC_INVALID, "credit_code", "企业用户须绑定统一社会信用代码");
        else if ((rc = codes_credit_code_check(u->credit_code, e)))
            snprintf(e->field, sizeof(e->field), "credit_code");
    } else if (rc == RC_OK && u->credit_code) {
        rc = err_set(e, RC_INVALID, "credit_code", "只有企业用户可以绑定统一社会信用代码");
    }
    if (rc == RC_OK && !ent_user && !u->org_code)
        rc = err_set(e, RC_INVALID, "org", "该角色须指定所属机构");
    if (rc)
        goto out;
    if (u->org_code) {
        rc = org_by_code(c, u->org_code, &pool, &org, e);
        if (rc == RC_NOTFOUND)
            rc = err_set(e, RC_INVALID, "org", "机构 %s 不存在", u->org_code);
        if (rc)
            goto out;
    }
    if (made && strlen(made) < sizeof(hash))
        memcpy(hash, made, strlen(made) + 1);
    else
        rc = auth__pwhash(u->password, hash);
    if (rc) {
        err_set(e, rc, NULL, "password hashing failed");
        goto out;
    }
    rc = store_begin(c, e);
    if (rc)
        goto out;
    int64_t now = time_now_ms();
    rc = store_prepare(
        c,
        "INSERT INTO users (username, display_name, role, org_id, credit_code, "
        "password_hash, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
        &st, e);
    if (rc)
        goto out;
    store_bind_text(st, 1, u->username);
    store_bind_text(st, 2, display);
    store_bind_text(st, 3, u->role);
    if (org.id)
        store_bind_int(st, 4, org.id);
    else
        store_bind_null(st, 4);
    store_bind_text(st, 5, u->credit_code);
    store_bind_text(st, 6, hash);
    store_bind_int(st, 7, now);
    store_bind_int(st, 8, now);
    rc = store_insert_id(st, &id, e);
    if (rc == RC_EXISTS) {
        err_set(e, RC_EXISTS, "username", "用户名 %s 已被使用", u->username);
    }
    store_finish(st);
    if (rc)
        goto out;
    json_t *after =
        user_json(id, u->username, display, u->role, NULL, u->org_code, u->credit_code, false);
    struct audit_event ev = {"user.create", "user", id_text(&pool, id), NULL, after};
    rc = audit_append(c, who, &ev, NULL, e);
    json_decref(after);
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (rc == RC_OK && out)
        *out = id;
out:
    if (store_in_txn(c))
        store_rollback(c);
    sec_wipe(hash, sizeof(hash));
    pool_clear(&pool);
    return rc;
}

/* Reads user username's row into the pool: id, display name, role, org code, credit code. */
static enum rc user_row(struct conn *c, const char *username, struct pool *pool, int64_t *id,
                        const char **display, const char **role, const char **org_code,
                        const char **credit_code, bool *disabled, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(c,
                               "SELECT u.id, u.display_name, u.role, o.code, u.credit_code, "
                               "u.disabled FROM users u LEFT JOIN orgs o ON o.id = u.org_id "
                               "WHERE u.username = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *id = store_int(st, 0);
        *display = pool_strdup(pool, store_text(st, 1));
        *role = pool_strdup(pool, store_text(st, 2));
        *org_code = store_isnull(st, 3) ? NULL : pool_strdup(pool, store_text(st, 3));
        *credit_code = store_isnull(st, 4) ? NULL : pool_strdup(pool, store_text(st, 4));
        *disabled = store_int(st, 5) != 0;
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_NOTFOUND, NULL, "用户 %s 不存在", username);
    }
    store_finish(st);
    return rc;
}

enum rc auth_user_update(struct conn *c, const struct audit_actor *who, int64_t who_user_id,
                         const char *username, const struct auth_user_edit *u, json_t **out,
                         struct err *e)
{
    struct pool pool;
    struct org org = {0};
    struct stmt *st = NULL;
    int64_t id = 0;
    bool disabled = false;
    const char *display = NULL, *role = NULL, *org_code = NULL, *credit_code = NULL;
    json_t *before = NULL, *after = NULL;
    pool_init(&pool);
    enum rc rc =
        user_row(c, username, &pool, &id, &display, &role, &org_code, &credit_code, &disabled, e);
    if (rc)
        goto out;
    if (!display) /* NOT NULL columns; read as "" should a row ever lack them */
        display = "";
    if (!role)
        role = "";
    before = user_json(id, username, display, role, NULL, org_code, credit_code, disabled);
    if (u->display_name) {
        if (!*u->display_name || utf8_len(u->display_name) > 32)
            rc = err_set(e, RC_INVALID, "display_name", "姓名长度应为 1 到 32 个字符");
        display = u->display_name;
    }
    /* An administrator cannot take their own role away (nobody might be left to undo it). */
    if (rc == RC_OK && u->role && strcmp(u->role, role) != 0 && id == who_user_id)
        rc = err_set(e, RC_INVALID, "role", "不能修改自己的角色");
    if (rc == RC_OK && u->role)
        role = u->role;
    unsigned perms = 0;
    if (rc == RC_OK)
        rc = access_role_for_user(c, role, &perms, e);
    /* The binding follows the role, as at creation: a credit code for a role that acts for
     * an enterprise, an organisation for every other; the other one is cleared. */
    bool ent_user = (perms & ACCESS_BIT(ACCESS_ENT_SELF)) != 0;
    if (rc == RC_OK && u->credit_code && !ent_user)
        rc = err_set(e, RC_INVALID, "credit_code", "只有企业用户可以绑定统一社会信用代码");
    if (rc == RC_OK && u->org_code && ent_user)
        rc = err_set(e, RC_INVALID, "org", "企业用户不属于机构，请填写统一社会信用代码");
    if (rc == RC_OK && ent_user) {
        credit_code = u->credit_code ? u->credit_code : credit_code;
        org_code = NULL;
        if (!credit_code)
            rc = err_set(e, RC_INVALID, "credit_code", "企业用户须绑定统一社会信用代码");
        else if ((rc = codes_credit_code_check(credit_code, e)))
            snprintf(e->field, sizeof(e->field), "credit_code");
    } else if (rc == RC_OK) {
        org_code = u->org_code ? u->org_code : org_code;
        credit_code = NULL;
        if (!org_code)
            rc = err_set(e, RC_INVALID, "org", "该角色须指定所属机构");
    }
    if (rc == RC_OK && org_code) {
        rc = org_by_code(c, org_code, &pool, &org, e);
        if (rc == RC_NOTFOUND)
            rc = err_set(e, RC_INVALID, "org", "机构 %s 不存在", org_code);
    }
    if (rc)
        goto out;
    after = user_json(id, username, display, role, NULL, org_code, credit_code, disabled);
    if (!json_equal(before, after)) {
        rc = store_begin(c, e);
        if (rc == RC_OK)
            rc = store_prepare(c,
                               "UPDATE users SET display_name = ?, role = ?, org_id = ?, "
                               "credit_code = ?, updated_at = ? WHERE id = ?",
                               &st, e);
        if (rc == RC_OK) {
            store_bind_text(st, 1, display);
            store_bind_text(st, 2, role);
            if (org.id)
                store_bind_int(st, 3, org.id);
            else
                store_bind_null(st, 3);
            store_bind_text(st, 4, credit_code);
            store_bind_int(st, 5, time_now_ms());
            store_bind_int(st, 6, id);
            rc = store_run(st, e);
        }
        store_finish(st);
        /* The user's sessions carry the old role and organisation: every process's session
         * cache forgets them at commit, so the next request reads the new ones. */
        if (rc == RC_OK)
            rc = store_notify(c, STORE_TOPIC_AUTH, e);
        struct audit_event ev = {"user.update", "user", id_text(&pool, id), before, after};
        if (rc == RC_OK)
            rc = audit_append(c, who, &ev, NULL, e);
        if (rc == RC_OK)
            rc = store_commit(c, e);
    }
    if (rc == RC_OK && out) {
        char *label = NULL;
        unsigned ignored;
        rc = access_role_get(c, role, &ignored, &label, e);
        if (rc == RC_OK) {
            *out = user_json(id, username, display, role, label, org_code, credit_code, disabled);
            json_object_set_new(*out, "changed", json_boolean(!json_equal(before, after)));
        }
        xfree(label);
    }
out:
    if (store_in_txn(c))
        store_rollback(c);
    json_decref(before);
    json_decref(after);
    pool_clear(&pool);
    return rc;
}

enum rc auth_user_list(struct conn *c, const char *subtree_path, int64_t after_id, int limit,
                       json_t **out, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c,
        "SELECT u.id, u.username, u.display_name, u.role, o.code, u.credit_code, u.disabled, "
        "r.label FROM users u JOIN roles r ON r.name = u.role LEFT JOIN orgs o ON o.id = "
        "u.org_id WHERE u.id > ? AND "
        "(CAST(? AS TEXT) IS NULL OR o.path LIKE ? || '%') ORDER BY u.id LIMIT ?",
        &st, e);
    if (rc)
        return rc;
    store_bind_int(st, 1, after_id);
    store_bind_text(st, 2, subtree_path);
    store_bind_text(st, 3, subtree_path);
    store_bind_int(st, 4, limit);
    json_t *arr = json_array();
    while ((rc = store_step(st, e)) == RC_ROW) {
        json_array_append_new(arr,
                              user_json(store_int(st, 0), store_text(st, 1), store_text(st, 2),
                                        store_text(st, 3), store_text(st, 7), store_text(st, 4),
                                        store_text(st, 5), store_int(st, 6) != 0));
    }
    store_finish(st);
    if (rc != RC_DONE) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RC_OK;
}

/* ---- principals ---------------------------------------------------------- */

#define PRINCIPAL_COLS                                                                             \
    "u.id, u.username, u.display_name, u.role, u.credit_code, u.disabled, "                        \
    "COALESCE(o.id, 0), o.code, o.name, o.path, o.region, r.label, r.permissions"
/* The tables of PRINCIPAL_COLS after FROM: the role's permissions come with the user. */
#define PRINCIPAL_FROM "users u JOIN roles r ON r.name = u.role LEFT JOIN orgs o ON o.id = u.org_id"

/* Fills p from the PRINCIPAL_COLS starting at column k. Returns the disabled flag. */
static bool read_principal(struct stmt *st, int k, struct pool *pool, struct principal *p)
{
    memset(p, 0, sizeof(*p));
    p->user_id = store_int(st, k);
    p->username = pool_strdup(pool, store_text(st, k + 1));
    p->display_name = pool_strdup(pool, store_text(st, k + 2));
    p->role = pool_strdup(pool, store_text(st, k + 3));
    p->role_label = pool_strdup(pool, store_text(st, k + 11));
    struct err ignored; /* a permission name the code no longer knows grants nothing */
    if (access_perms_parse(store_text(st, k + 12), "permissions", &p->perms, &ignored))
        p->perms = 0;
    p->credit_code = pool_strdup(pool, store_text(st, k + 4));
    bool disabled = store_int(st, k + 5) != 0;
    p->org_id = store_int(st, k + 6);
    p->org_code = pool_strdup(pool, store_text(st, k + 7));
    p->org_name = pool_strdup(pool, store_text(st, k + 8));
    p->org_path = pool_strdup(pool, store_text(st, k + 9));
    p->org_region = pool_strdup(pool, store_text(st, k + 10));
    p->actor.name = pool_printf(pool, "user:%s", p->username);
    p->actor.org = p->org_code ? p->org_code : (p->credit_code ? p->credit_code : "");
    return disabled;
}

json_t *auth_principal_json(const struct principal *p)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "username", p->username, "display_name",
                          p->display_name ? p->display_name : p->username, "role",
                          p->role ? p->role : "", "role_label", p->role_label ? p->role_label : "");
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)(p->user_id ? p->user_id : p->apikey_id));
    json_object_set_new(j, "id", json_string(id));
    json_object_set_new(j, "kind", json_string(p->user_id ? "user" : "api_key"));
    json_object_set_new(j, "permissions", access_perms_json(p->perms));
    if (p->org_code)
        json_object_set_new(
            j, "org",
            json_pack("{s:s, s:s}", "code", p->org_code, "name", p->org_name ? p->org_name : ""));
    else
        json_object_set_new(j, "org", json_null());
    json_object_set_new(j, "credit_code",
                        p->credit_code ? json_string(p->credit_code) : json_null());
    if (p->expires_at) {
        char at[40];
        time_fmt_cst(p->expires_at, at, sizeof(at));
        json_object_set_new(j, "session_expires_at", json_string(at));
    }
    return j;
}

/* ---- login and sessions ------------------------------------------------------ */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[SEC_PWHASH_LEN];

static void make_dummy(void)
{
    if (sec_pwhash("qifu-dummy-password-for-timing", dummy_hash))
        dummy_hash[0] = '\0';
}

enum rc auth__pwhash(const char *password, char *hash)
{
    auth__hash_enter();
    enum rc rc = sec_pwhash(password, hash);
    auth__hash_leave();
    return rc;
}

/* Verifies password against hash (the dummy hash when !found) inside the gate. */
static bool verify(bool found, const char *hash, const char *password)
{
    if (!found)
        pthread_once(&dummy_once, make_dummy);
    auth__hash_enter();
    /* An unknown name spends the same time as a real check, so names cannot be probed. */
    bool ok = sec_pwverify(found ? hash : dummy_hash, password) && found;
    auth__hash_leave();
    return ok;
}

/* Records a failed login: audited for a known user, only counted for an unknown name. */
static enum rc record_failure(struct conn *c, bool found, const char *username, int64_t now,
                              const char *client_ip, struct err *e)
{
    if (!found)
        return auth__count_unknown(c, client_ip, now, e);
    auth__count_known();
    int failures = 0;
    enum rc rc = auth__failure_count(c, username, client_ip, &failures, e);
    if (rc == RC_OK)
        rc = store_begin(c, e);
    if (rc == RC_OK) {
        json_t *after = json_pack("{s:s, s:i, s:s}", "username", username, "failures", failures,
                                  "client_ip", client_ip ? client_ip : "-");
        struct audit_actor anon = {"anonymous", ""};
        struct audit_event ev = {"session.login_failed", "user", username, NULL, after};
        rc = audit_append(c, &anon, &ev, NULL, e);
        json_decref(after);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

/* Looks up username: *found, its hash and principal (in pool), *disabled. */
static enum rc find_user(struct conn *c, const char *username, struct pool *pool, bool *found,
                         char hash[SEC_PWHASH_LEN], struct principal *p, bool *disabled,
                         struct err *e)
{
    struct stmt *st;
    *found = false;
    enum rc rc = store_prepare(c,
                               "SELECT u.password_hash, " PRINCIPAL_COLS " FROM " PRINCIPAL_FROM
                               " WHERE u.username = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        *found = true;
        snprintf(hash, SEC_PWHASH_LEN, "%s", store_text(st, 0));
        *disabled = read_principal(st, 1, pool, p);
        rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = RC_OK;
    }
    store_finish(st);
    return rc;
}

/* Opens the session of p (found and verified), audited. */
static enum rc open_session(struct conn *c, const char *username, int64_t now, int64_t ttl_ms,
                            const char *client_ip, struct pool *pool, char *token,
                            struct principal *p, struct err *e)
{
    struct stmt *st = NULL;
    char csrf[SEC_TOKEN_LEN], token_hash[SEC_HEX_SHA256];
    sec_token(token);
    sec_token(csrf);
    sec_sha256_hex(token, strlen(token), token_hash);
    p->csrf = pool_strdup(pool, csrf);
    p->expires_at = now + ttl_ms;
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = auth__throttle_success(c, username, client_ip, e);
    if (rc == RC_OK)
        rc = auth__sweep(c, now, e);
    if (rc == RC_OK)
        rc = store_prepare(c, "DELETE FROM sessions WHERE user_id = ? AND expires_at < ?", &st, e);
    if (rc == RC_OK) {
        store_bind_int(st, 1, p->user_id);
        store_bind_int(st, 2, now);
        rc = store_run(st, e);
    }
    store_finish(st);
    st = NULL;
    if (rc == RC_OK)
        rc = store_prepare(
            c,
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, token_hash);
        store_bind_int(st, 2, p->user_id);
        store_bind_text(st, 3, csrf);
        store_bind_int(st, 4, now);
        store_bind_int(st, 5, p->expires_at);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK) {
        json_t *after = json_pack("{s:s%, s:s}", "session", token_hash, (size_t)12, "client_ip",
                                  client_ip ? client_ip : "-");
        struct audit_event ev = {"session.login", "user", id_text(pool, p->user_id), NULL, after};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
        json_decref(after);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    return rc;
}

enum rc auth_login(struct store *db, const char *username, const char *password, int64_t ttl_ms,
                   const char *client_ip, struct pool *pool, char *token, struct principal *p,
                   int *retry_after, struct err *e)
{
    struct conn *c = NULL;
    int64_t now = time_now_ms();
    char hash[SEC_PWHASH_LEN] = "";
    bool found = false, disabled = false;
    enum rc rc = auth__admit(e);
    if (rc)
        return rc;
    /* Count the attempt and read the user; no connection is held while hashing. */
    rc = store_acquire(db, &c, e);
    if (rc == RC_OK)
        rc = auth__throttle_take(c, username, client_ip, now, retry_after, e);
    if (rc == RC_OK)
        rc = find_user(c, username, pool, &found, hash, p, &disabled, e);
    store_release(c);
    c = NULL;
    if (rc)
        goto out;
    bool ok = verify(found, hash, password);
    rc = store_acquire(db, &c, e);
    if (rc)
        goto out;
    if (!ok) {
        rc = record_failure(c, found, username, now, client_ip, e);
        if (rc == RC_OK)
            rc = err_set(e, RC_BADLOGIN, "password", "用户名或密码错误");
    } else if (disabled) {
        rc = err_set(e, RC_FORBIDDEN, NULL, "该账号已停用，请联系管理员");
    } else {
        rc = open_session(c, username, now, ttl_ms, client_ip, pool, token, p, e);
    }
out:
    store_release(c);
    sec_wipe(hash, sizeof(hash));
    auth__dismiss();
    return rc;
}

enum rc auth_session(struct conn *c, const char *token, struct pool *pool, struct principal *p,
                     struct err *e)
{
    char token_hash[SEC_HEX_SHA256];
    struct stmt *st;
    sec_sha256_hex(token, strlen(token), token_hash);
    enum rc rc = store_prepare(c,
                               "SELECT s.expires_at, s.csrf, " PRINCIPAL_COLS
                               " FROM sessions s JOIN users u ON u.id = s.user_id "
                               "JOIN roles r ON r.name = u.role LEFT JOIN orgs o ON o.id = "
                               "u.org_id WHERE s.token_hash = ?",
                               &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, token_hash);
    rc = store_step(st, e);
    if (rc == RC_ROW) {
        int64_t expires = store_int(st, 0);
        const char *csrf = store_text(st, 1);
        bool disabled = read_principal(st, 2, pool, p);
        p->csrf = pool_strdup(pool, csrf);
        p->expires_at = expires;
        if (disabled)
            rc = err_set(e, RC_UNAUTHORIZED, NULL, "该账号已停用");
        else if (expires <= time_now_ms())
            rc = err_set(e, RC_EXPIRED, NULL, "登录已过期，请重新登录");
        else
            rc = RC_OK;
    } else if (rc == RC_DONE) {
        rc = err_set(e, RC_UNAUTHORIZED, NULL, "登录凭证无效，请重新登录");
    }
    store_finish(st);
    return rc;
}

/* ---- the session cache -------------------------------------------------------- */

/*
 * Direct-mapped on the token's hash, one mutex per slot. An entry holds a copy of the
 * principal whose strings live in one allocation (blob); a hit copies them into the
 * caller's pool under the slot's lock. Only successful lookups are cached: unknown,
 * expired and disabled sessions always ask the database.
 */
#define CACHE_SLOTS 64

struct cached_session {
    const struct store *db; /* NULL: empty */
    char token_hash[SEC_HEX_SHA256];
    uint64_t gen;       /* store_topic_gen (auth) or store_write_gen before the query */
    int64_t until_ns;   /* monotonic: the entry's lifetime after the query */
    struct principal p; /* strings point into blob */
    char *blob;
};

static struct {
    pthread_mutex_t mu;
    struct cached_session e;
} session_cache[CACHE_SLOTS];
static pthread_once_t session_cache_once = PTHREAD_ONCE_INIT;

static void session_cache_init(void)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        pthread_mutex_init(&session_cache[i].mu, NULL);
}

static unsigned cache_slot(const char *token_hash)
{
    unsigned h = 0;
    for (int i = 0; i < 8; i++)
        h = h * 16 +
            (unsigned)(token_hash[i] <= '9' ? token_hash[i] - '0' : token_hash[i] - 'a' + 10);
    return h % CACHE_SLOTS;
}

/* The strings of a principal, in one order for packing and copying. */
#define N_PSTR 11
static const char **pstr(struct principal *p, int i)
{
    switch (i) {
    case 0:
        return &p->username;
    case 1:
        return &p->display_name;
    case 2:
        return &p->org_code;
    case 3:
        return &p->org_name;
    case 4:
        return &p->org_path;
    case 5:
        return &p->org_region;
    case 6:
        return &p->credit_code;
    case 7:
        return &p->csrf;
    case 8:
        return &p->role;
    case 9:
        return &p->role_label;
    default:
        return &p->actor.name;
    }
}

/* Points actor.org where read_principal points it (org code, else credit code, else ""). */
static void fix_actor_org(struct principal *p)
{
    p->actor.org = p->org_code ? p->org_code : (p->credit_code ? p->credit_code : "");
}

static void cache_put(const struct store *db, uint64_t gen, int64_t until_ns,
                      const char *token_hash, const struct principal *src)
{
    struct principal p = *src;
    size_t n = 0;
    for (int i = 0; i < N_PSTR; i++)
        n += *pstr(&p, i) ? strlen(*pstr(&p, i)) + 1 : 0;
    char *blob = xmalloc(n ? n : 1), *w = blob;
    for (int i = 0; i < N_PSTR; i++) {
        const char **f = pstr(&p, i);
        if (!*f)
            continue;
        size_t len = strlen(*f) + 1;
        memcpy(w, *f, len);
        *f = w;
        w += len;
    }
    fix_actor_org(&p);
    unsigned k = cache_slot(token_hash);
    pthread_mutex_lock(&session_cache[k].mu);
    struct cached_session *e = &session_cache[k].e;
    char *old = e->blob;
    e->db = db;
    memcpy(e->token_hash, token_hash, SEC_HEX_SHA256);
    e->gen = gen;
    e->until_ns = until_ns;
    e->p = p;
    e->blob = blob;
    pthread_mutex_unlock(&session_cache[k].mu);
    xfree(old);
}

/* Fills p (strings in pool) from a current entry for token_hash; false on a miss. */
static bool cache_get(const struct store *db, uint64_t gen, const char *token_hash,
                      struct pool *pool, struct principal *p)
{
    unsigned k = cache_slot(token_hash);
    bool hit = false;
    pthread_mutex_lock(&session_cache[k].mu);
    struct cached_session *e = &session_cache[k].e;
    if (e->db == db && e->gen == gen && time_mono_ns() < e->until_ns &&
        memcmp(e->token_hash, token_hash, SEC_HEX_SHA256) == 0) {
        *p = e->p;
        for (int i = 0; i < N_PSTR; i++) {
            const char **f = pstr(p, i);
            if (*f)
                *f = pool_strdup(pool, *f);
        }
        fix_actor_org(p);
        hit = true;
    }
    pthread_mutex_unlock(&session_cache[k].mu);
    return hit;
}

enum rc auth_session_cached(struct store *db, const char *token, struct pool *pool,
                            struct principal *p, struct err *e)
{
    char token_hash[SEC_HEX_SHA256];
    uint64_t gen; /* read before the query: see store.h */
    int64_t ttl_ms = AUTH_SESSION_CACHE_NOTIFIED_MS;
    bool cacheable = store_topic_gen(db, STORE_TOPIC_AUTH, &gen);
    if (!cacheable) {
        cacheable = store_write_gen(db, &gen);
        ttl_ms = AUTH_SESSION_CACHE_MS;
    }
    int64_t until_ns = time_mono_ns() + ttl_ms * 1000000;
    if (cacheable) {
        pthread_once(&session_cache_once, session_cache_init);
        sec_sha256_hex(token, strlen(token), token_hash);
        if (cache_get(db, gen, token_hash, pool, p)) {
            if (p->expires_at <= time_now_ms())
                return err_set(e, RC_EXPIRED, NULL, "登录已过期，请重新登录");
            return RC_OK;
        }
    }
    struct conn *c;
    enum rc rc = store_acquire(db, &c, e);
    if (rc)
        return rc;
    rc = auth_session(c, token, pool, p, e);
    store_release(c);
    if (rc == RC_OK && cacheable)
        cache_put(db, gen, until_ns, token_hash, p);
    return rc;
}

enum rc auth_principal_of(struct conn *c, const char *username, struct pool *pool,
                          struct principal *p, struct err *e)
{
    struct stmt *st;
    enum rc rc = store_prepare(
        c, "SELECT " PRINCIPAL_COLS " FROM " PRINCIPAL_FROM " WHERE u.username = ?", &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, username);
    rc = store_step(st, e);
    if (rc == RC_ROW)
        rc = read_principal(st, 0, pool, p)
                 ? err_set(e, RC_UNAUTHORIZED, NULL, "账号 %s 已停用", username)
                 : RC_OK;
    else if (rc == RC_DONE)
        rc = err_set(e, RC_NOTFOUND, NULL, "用户 %s 不存在", username);
    store_finish(st);
    return rc;
}

enum rc auth_logout(struct conn *c, const struct principal *p, const char *token, struct err *e)
{
    char token_hash[SEC_HEX_SHA256];
    struct stmt *st = NULL;
    struct pool pool;
    pool_init(&pool);
    sec_sha256_hex(token, strlen(token), token_hash);
    enum rc rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = store_prepare(c, "DELETE FROM sessions WHERE token_hash = ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, token_hash);
        rc = store_run(st, e);
    }
    store_finish(st);
    if (rc == RC_OK) /* every process forgets the session at commit */
        rc = store_notify(c, STORE_TOPIC_AUTH, e);
    if (rc == RC_OK) {
        json_t *before = json_pack("{s:s%}", "session", token_hash, (size_t)12);
        struct audit_event ev = {"session.logout", "user", id_text(&pool, p->user_id), before,
                                 NULL};
        rc = audit_append(c, &p->actor, &ev, NULL, e);
        json_decref(before);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
    if (store_in_txn(c))
        store_rollback(c);
    pool_clear(&pool);
    return rc;
}

/* ---- API keys -------------------------------------------------------------- */

enum rc auth_apikey(struct conn *c, const char *key, struct pool *pool, struct principal *p,
                    struct err *e)
{
    char key_hash[SEC_HEX_SHA256];
    struct stmt *st;
    sec_sha256_hex(key, strlen(key), key_hash);
    enum rc rc =
        store_prepare(c,
                      "SELECT k.id, k.name, k.revoked_at, o.id, o.code, o.name, o.path, o.region, "
                      "r.label, r.permissions FROM api_keys k JOIN orgs o ON o.id = k.org_id "
                      "LEFT JOIN roles r ON r.name = 'system' WHERE k.key_hash = ?",
                      &st, e);
    if (rc)
        return rc;
    store_bind_text(st, 1, key_hash);
    rc = store_step(st, e);
    if (rc == RC_ROW && store_isnull(st, 2)) {
        memset(p, 0, sizeof(*p));
        p->role = "system";
        p->role_label = pool_strdup(pool, store_text(st, 8));
        struct err ignored;
        if (access_perms_parse(store_text(st, 9), "permissions", &p->perms, &ignored))
            p->perms = 0;
        p->apikey_id = store_int(st, 0);
        p->username = pool_strdup(pool, store_text(st, 1));
        p->display_name = p->username;
        p->org_id = store_int(st, 3);
        p->org_code = pool_strdup(pool, store_text(st, 4));
        p->org_name = pool_strdup(pool, store_text(st, 5));
        p->org_path = pool_strdup(pool, store_text(st, 6));
        p->org_region = pool_strdup(pool, store_text(st, 7));
        p->actor.name = pool_printf(pool, "apikey:%s", p->username);
        p->actor.org = p->org_code;
        rc = RC_OK;
    } else if (rc == RC_ROW || rc == RC_DONE) {
        rc = err_set(e, RC_UNAUTHORIZED, NULL, "API 密钥无效或已吊销");
    }
    store_finish(st);
    return rc;
}

enum rc auth_apikey_create(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *org_code, char key[64], struct err *e)
{
    struct pool pool;
    struct org org;
    struct stmt *st = NULL;
    pool_init(&pool);
    enum rc rc = RC_OK;
    if (!name || utf8_len(name) < 2 || utf8_len(name) > 64)
        rc = err_set(e, RC_INVALID, "name", "密钥名称长度应为 2 到 64 个字符");
    if (rc == RC_OK) {
        rc = org_by_code(c, org_code, &pool, &org, e);
        if (rc == RC_NOTFOUND)
            rc = err_set(e, RC_INVALID, "org", "机构 %s 不存在", org_code);
    }
    /* What a key files is recorded under its name: one name, one organisation. */
    if (rc == RC_OK)
        rc = store_prepare(c, "SELECT 1 FROM api_keys WHERE name = ? AND org_id <> ?", &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_int(st, 2, org.id);
        rc = store_step(st, e);
        if (rc == RC_ROW)
            rc = err_set(e, RC_EXISTS, "name", "密钥名称“%s”已被其他机构的 API 密钥使用", name);
        else if (rc == RC_DONE)
            rc = RC_OK;
    }
    store_finish(st);
    st = NULL;
    if (rc)
        goto out;
    char token[SEC_TOKEN_LEN], key_hash[SEC_HEX_SHA256];
    sec_token(token);
    snprintf(key, 64, "qk_%s", token);
    sec_sha256_hex(key, strlen(key), key_hash);
    int64_t id = 0;
    rc = store_begin(c, e);
    if (rc == RC_OK)
        rc = store_prepare(c,
                           "INSERT INTO api_keys (name, org_id, prefix, key_hash, created_at) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id",
                           &st, e);
    if (rc == RC_OK) {
        store_bind_text(st, 1, name);
        store_bind_int(st, 2, org.id);
        store_bind_textn(st, 3, key, 10);
        store_bind_text(st, 4, key_hash);
        store_bind_int(st, 5, time_now_ms());
        rc = store_insert_id(st, &id, e);
    }
    store_finish(st);
    if (rc == RC_OK) {
        json_t *after =
            json_pack("{s:s, s:s, s:s%}", "name", name, "org", org_code, "prefix", key, (size_t)10);
        struct audit_event ev = {"apikey.create", "api_key", id_text(&pool, id), NULL, after};
        rc = audit_append(c, who, &ev, NULL, e);
        json_decref(after);
    }
    if (rc == RC_OK)
        rc = store_commit(c, e);
out:
    if (store_in_txn(c))
        store_rollback(c);
    pool_clear(&pool);
    return rc;
}
