/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth: users, login sessions, login throttling and API keys; the principal (declared in
 * src/access) with its role's permissions, read from the roles table.
 *
 * Passwords are argon2id hashes (libsodium). A session token is 256 random bits
 * given to the client once; the store keeps only its SHA-256, with an expiry and a
 * CSRF token for browser (cookie) sessions. An API key ("qk_" + 256 random bits) is
 * likewise shown once and stored hashed. Logins are throttled per (user name,
 * client address) and per address: after AUTH_FREE_FAILURES attempts each further
 * attempt must wait 2^(n - AUTH_FREE_FAILURES) seconds (at most AUTH_MAX_BACKOFF_S);
 * early attempts get RC_RATELIMIT with the seconds to wait. The counts live in the
 * database, so several server processes share them. Password verification runs
 * behind a gate of AUTH_HASH_SLOTS (auth_throttle.c). Every password set goes
 * through auth_password_check (auth_password.c).
 */
#ifndef QIFU_AUTH_H
#define QIFU_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../access/access.h"
#include "../audit/audit.h"
#include "../base/pool.h"
#include "../base/rc.h"

struct conn;
struct store;

#define AUTH_FREE_FAILURES 3       /* attempts of one (user, address) without waiting */
#define AUTH_ADDR_FREE_FAILURES 50 /* attempts of one address (any user name) without waiting */
#define AUTH_MAX_BACKOFF_S 600     /* the longest wait between attempts */
#define AUTH_HASH_SLOTS 2          /* password verifications running at once */
#define AUTH_HASH_QUEUE 16         /* logins waiting for a slot before RC_BUSY */
#define AUTH_PASSWORD_MIN 10       /* characters */

struct auth_user_new {
    const char *username;
    const char *display_name; /* defaults to username */
    const char *password;
    const char *role;        /* a role of the roles table, not "system" */
    const char *org_code;    /* required for every role except enterprise */
    const char *credit_code; /* required for, and only for, enterprise users */
    bool skip_policy;        /* `qifu demo` only: its users keep the password "demo" */
};

/*
 * The password policy: AUTH_PASSWORD_MIN to 128 characters, not containing the user
 * name (any case), not in data/passwords/common.txt. RC_INVALID on field "password"
 * with a Chinese message saying why.
 */
enum rc auth_password_check(const char *username, const char *password, struct err *e) WARN_UNUSED;
/* Is pw in the list of common passwords (any case)? */
bool auth_password_common(const char *pw);

/*
 * Creates a user in its own transaction, audited. RC_INVALID naming the field for
 * bad input (user name 3–32 of [A-Za-z0-9_.-], a password auth_password_check refuses, unknown
 * organisation, bad credit code), RC_EXISTS when the name is taken.
 */
enum rc auth_user_create(struct conn *c, const struct audit_actor *who,
                         const struct auth_user_new *u, int64_t *out, struct err *e) WARN_UNUSED;
/* The same with the password's hash made beforehand (sec_pwhash), for `qifu demo
 * --history`, whose many users share the password demo and need not hash it each. */
enum rc auth_user_create_hashed(struct conn *c, const struct audit_actor *who,
                                const struct auth_user_new *u, const char *hash, int64_t *out,
                                struct err *e) WARN_UNUSED;
/* The members of a user an administrator may change; NULL: kept. */
struct auth_user_edit {
    const char *display_name;
    const char *role;        /* a role of the roles table, not "system" */
    const char *org_code;    /* for a role without ent.self (a credit code is then cleared) */
    const char *credit_code; /* for a role with ent.self (an organisation is then cleared) */
};
/*
 * Changes user username's name, role and binding in its own transaction, audited
 * (user.update, before and after), and notifies the "auth" topic so the user's next
 * request carries the new role. The binding follows the role as at creation. *out (may be
 * NULL) receives the user as the list shows it, plus "changed" (nothing differed: nothing
 * written). RC_NOTFOUND for an unknown user; RC_INVALID naming the field for bad input and
 * when an administrator (who_user_id) changes their own role.
 */
enum rc auth_user_update(struct conn *c, const struct audit_actor *who, int64_t who_user_id,
                         const char *username, const struct auth_user_edit *u, json_t **out,
                         struct err *e) WARN_UNUSED;
/* Lists users (newest id last) with id > after_id, under org subtree path (NULL: all). */
enum rc auth_user_list(struct conn *c, const char *subtree_path, int64_t after_id, int limit,
                       json_t **out, struct err *e) WARN_UNUSED;

/*
 * Checks username/password and opens a session of ttl_ms, audited. Takes connections
 * from db only around its queries, never while the password is verified. On success
 * *token receives the new token (SEC_TOKEN_LEN bytes) and *p the principal (in
 * pool). RC_BADLOGIN for a wrong name or password (the same answer for both),
 * RC_RATELIMIT with *retry_after seconds when throttled, RC_BUSY when too many logins
 * wait for the hashing gate, RC_FORBIDDEN for a disabled user. A failure of a known
 * user is audited (session.login_failed); of an unknown name only counted
 * (login_unknown_failures, per address and hour, and auth_login_stats).
 */
enum rc auth_login(struct store *db, const char *username, const char *password, int64_t ttl_ms,
                   const char *client_ip, struct pool *pool, char *token, struct principal *p,
                   int *retry_after, struct err *e) WARN_UNUSED;
/* Looks up a session token: RC_UNAUTHORIZED if unknown, RC_EXPIRED if past its expiry. */
enum rc auth_session(struct conn *c, const char *token, struct pool *pool, struct principal *p,
                     struct err *e) WARN_UNUSED;
/*
 * auth_session through the process's session cache: a hit costs no query (nor a
 * connection); a miss takes a connection from db, runs auth_session and remembers a
 * valid session. The session's expiry is checked on every hit. An entry serves:
 * - where the change channel listens (PostgreSQL, store_topic_gen): while the "auth"
 *   topic has not moved since its query, and for at most AUTH_SESSION_CACHE_NOTIFIED_MS.
 *   Every change of what a session may do (logout, password change or reset, disabling a
 *   user, a role's permissions, an API key revoked) notifies "auth" in its transaction,
 *   so every process forgets its entries once the notification arrives (milliseconds);
 *   while the listener is down nothing is cached.
 * - else (SQLite): while no transaction of this process has committed through db since
 *   its query (store_write_gen) and for at most AUTH_SESSION_CACHE_MS, which bounds how
 *   long a change made by another process (the command line) can go unseen.
 * Same results and strings (in pool) as auth_session.
 */
enum rc auth_session_cached(struct store *db, const char *token, struct pool *pool,
                            struct principal *p, struct err *e) WARN_UNUSED;
#define AUTH_SESSION_CACHE_MS 1000
/* The safety net of an entry kept on the change channel's word (a change made by SQL
 * without NOTIFY goes unseen this long at most). */
#define AUTH_SESSION_CACHE_NOTIFIED_MS 60000
/*
 * Records that the session of token wrote at now_ms (sessions.wrote_at; never moves it
 * back), in a small transaction of its own whose commit does not wait for the disk
 * (store_begin_relaxed). For read-your-writes with a read replica (auth_writes.c).
 */
enum rc auth_session_stamp(struct conn *c, const char *token, int64_t now_ms,
                           struct err *e) WARN_UNUSED;
/* Sets *out to when the session of token last wrote (ms, as stamped; 0: never, or no such
 * session). Read from c, never from the session cache. */
enum rc auth_session_wrote_at(struct conn *c, const char *token, int64_t *out,
                              struct err *e) WARN_UNUSED;
/* The principal of user username, for command-line work done in a user's name
 * (`qifu import demands --as`); strings in pool. RC_NOTFOUND for an unknown user,
 * RC_UNAUTHORIZED for a disabled one. */
enum rc auth_principal_of(struct conn *c, const char *username, struct pool *pool,
                          struct principal *p, struct err *e) WARN_UNUSED;
/* Ends the session of token, audited. */
enum rc auth_logout(struct conn *c, const struct principal *p, const char *token,
                    struct err *e) WARN_UNUSED;
/*
 * A subquery of the actor names ("apikey:" + name) of the API keys of one organisation
 * (its one parameter, the org id), for "created_by IN " AUTH_APIKEY_ACTORS_SQL. A name
 * that keys of two organisations share (made before auth_apikey_create refused that)
 * belongs to neither, so no key reads what another organisation's key filed.
 */
#define AUTH_APIKEY_ACTORS_SQL                                                                     \
    "(SELECT 'apikey:' || k.name FROM api_keys k GROUP BY k.name HAVING MIN(k.org_id) = ? AND "    \
    "MAX(k.org_id) = MIN(k.org_id))"
/* Looks up an API key: RC_UNAUTHORIZED if unknown or revoked. */
enum rc auth_apikey(struct conn *c, const char *key, struct pool *pool, struct principal *p,
                    struct err *e) WARN_UNUSED;
/*
 * Creates an API key for org_code, audited; *key receives the key (shown once,
 * at most 64 bytes with NUL). RC_EXISTS when a key of another organisation has the
 * name: what a key files is recorded as "apikey:" + its name (AUTH_APIKEY_ACTORS_SQL).
 */
enum rc auth_apikey_create(struct conn *c, const struct audit_actor *who, const char *name,
                           const char *org_code, char key[64], struct err *e) WARN_UNUSED;
/* Counters since the process started, for /metrics. */
struct auth_login_stats {
    uint64_t failed_unknown; /* failed logins of user names that do not exist */
    uint64_t failed_known;   /* failed logins of existing users */
    uint64_t busy;           /* logins refused because the hashing gate was full */
};
void auth_login_stats(struct auth_login_stats *out);
/* Sets the hashing gate's limits (tests; the defaults are AUTH_HASH_SLOTS, AUTH_HASH_QUEUE). */
void auth_hash_limits(int slots, int queue);
/* Counts a login refused because too many wait (qifu_login_busy_total in /metrics). */
void auth_count_busy(void);

/* ---- account administration (auth_admin.c) ---- */

/*
 * Changes p's own password after checking old_password (RC_BADLOGIN, field
 * old_password, if wrong); the new one must pass auth_password_check. The check of
 * old_password counts as a login attempt of (p's user name, client_ip): RC_RATELIMIT
 * with *retry_after seconds when throttled. Ends every session of the user (the caller
 * logs in again), audited (user.password_change).
 */
enum rc auth_password_change(struct conn *c, const struct principal *p, const char *old_password,
                             const char *new_password, const char *client_ip, int *retry_after,
                             struct err *e) WARN_UNUSED;
enum auth_action { AUTH_RESET_PASSWORD, AUTH_DISABLE, AUTH_ENABLE };
/* Parses "reset_password", "disable", "enable"; false if unknown. */
bool auth_action_parse(const char *name, enum auth_action *out);
/*
 * An administrator's action on user username, audited (user.reset_password,
 * user.disable, user.enable). reset_password sets password (checked by the policy);
 * reset_password and disable end every session of the user. RC_NOTFOUND for an unknown
 * user, RC_INVALID when an administrator disables themselves (who_user_id).
 */
enum rc auth_user_action(struct conn *c, const struct audit_actor *who, int64_t who_user_id,
                         const char *username, enum auth_action action, const char *password,
                         struct err *e) WARN_UNUSED;
/* Lists API keys (no hashes) under org subtree path (NULL: all): a new JSON array. */
enum rc auth_apikey_list(struct conn *c, const char *subtree_path, json_t **out,
                         struct err *e) WARN_UNUSED;
/* Revokes API key id, audited (apikey.revoke). RC_NOTFOUND if unknown or outside
 * subtree_path (NULL: any), RC_STATE if already revoked. */
enum rc auth_apikey_revoke(struct conn *c, const struct audit_actor *who, const char *subtree_path,
                           int64_t id, struct err *e) WARN_UNUSED;

/* Returns a new JSON object describing p for /me. */
json_t *auth_principal_json(const struct principal *p);

#endif
