/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sec: the few primitives qifu needs, all from libsodium: SHA-256 (audit chain,
 * token and API-key hashes), random tokens, and argon2id password hashes.
 * sec_init() must run once before any other call.
 */
#ifndef QIFU_SEC_H
#define QIFU_SEC_H

#include <stdbool.h>
#include <stddef.h>

#include "rc.h"

#define SEC_HEX_SHA256 65   /* 64 hex digits + NUL */
#define SEC_TOKEN_LEN 44    /* base64url of 32 random bytes (43) + NUL */
#define SEC_PWHASH_LEN 128  /* crypto_pwhash_STRBYTES */

/* Initializes libsodium; RC_INTERNAL if it cannot. */
enum rc sec_init(void) WARN_UNUSED;
/* Writes the SHA-256 of n bytes at p as 64 lowercase hex digits into out. */
void sec_sha256_hex(const void *p, size_t n, char out[SEC_HEX_SHA256]);
/* Writes 256 random bits as unpadded base64url (43 characters) into out. */
void sec_token(char out[SEC_TOKEN_LEN]);
/*
 * Hashes password with argon2id into out ("$argon2id$v=19$..."). The cost is
 * libsodium's interactive level, or the minimum when QIFU_FAST_HASH=1 is set in the
 * environment (tests and demo data only). RC_INTERNAL if memory is short.
 */
enum rc sec_pwhash(const char *password, char out[SEC_PWHASH_LEN]) WARN_UNUSED;
/* Returns true when password matches the stored hash. */
bool sec_pwverify(const char *hash, const char *password);
/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void sec_wipe(void *p, size_t n);
/* Compares n bytes in constant time. */
bool sec_equal(const void *a, const void *b, size_t n);

#endif
