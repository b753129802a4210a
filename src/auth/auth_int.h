/* SPDX-License-Identifier: Apache-2.0 */
/* auth_int: internals shared by auth.c, auth_throttle.c and auth_admin.c. Not for other modules. */
#ifndef QIFU_AUTH_INT_H
#define QIFU_AUTH_INT_H

#include "auth.h"

/* Admits one login to the hashing gate: RC_BUSY at once when the queue is full. */
enum rc auth__admit(struct err *e) WARN_UNUSED;
/* Ends an admitted login. */
void auth__dismiss(void);
/* Waits for a hashing slot (admitted logins only, or password changes), and frees it. */
void auth__hash_enter(void);
void auth__hash_leave(void);
/* Counts one attempt of username from addr in its own transaction (see auth_throttle.c):
 * RC_RATELIMIT with *retry_after when it is early. */
enum rc auth__throttle_take(struct conn *c, const char *username, const char *addr, int64_t now,
                            int *retry_after, struct err *e) WARN_UNUSED;
/* After a successful login, in the caller's transaction: clears (username, addr). */
enum rc auth__throttle_success(struct conn *c, const char *username, const char *addr,
                               struct err *e) WARN_UNUSED;
/* The failure count of (username, addr), this attempt included. */
enum rc auth__failure_count(struct conn *c, const char *username, const char *addr, int *failures,
                            struct err *e) WARN_UNUSED;
/* Counts a failed login of an unknown user name from addr (per address and hour). */
enum rc auth__count_unknown(struct conn *c, const char *addr, int64_t now,
                            struct err *e) WARN_UNUSED;
/* Forgets throttle rows idle for a day, in the caller's transaction. */
enum rc auth__sweep(struct conn *c, int64_t now, struct err *e) WARN_UNUSED;
/* Counts a failed login of a known user (for /metrics). */
void auth__count_known(void);
/* Hashes password with sec_pwhash inside the hashing gate. */
enum rc auth__pwhash(const char *password, char *hash);
/* Ends every session of user id in the caller's transaction. */
enum rc auth__end_sessions(struct conn *c, int64_t user_id, struct err *e) WARN_UNUSED;

#endif
