/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sec: the few primitives qifu needs, all from libsodium: SHA-256 (audit chain,
 * token and API-key hashes), random tokens, argon2id password hashes, and Ed25519
 * signatures (signed audit checkpoints).
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

#define SEC_SIGN_PUBLIC 32 /* crypto_sign_PUBLICKEYBYTES */
#define SEC_SIGN_SECRET 64 /* crypto_sign_SECRETKEYBYTES (seed and public key) */
#define SEC_SIGN_BYTES 64  /* crypto_sign_BYTES */

/* Makes a new Ed25519 key pair. */
void sec_sign_keypair(unsigned char pk[SEC_SIGN_PUBLIC], unsigned char sk[SEC_SIGN_SECRET]);
/* Returns the public half of the secret key sk. */
void sec_sign_public(const unsigned char sk[SEC_SIGN_SECRET], unsigned char pk[SEC_SIGN_PUBLIC]);
/* Signs the n bytes at m with sk (detached signature). */
void sec_sign(const void *m, size_t n, const unsigned char sk[SEC_SIGN_SECRET],
              unsigned char sig[SEC_SIGN_BYTES]);
/* Returns true when sig is pk's signature of the n bytes at m. */
bool sec_sign_verify(const void *m, size_t n, const unsigned char sig[SEC_SIGN_BYTES],
                     const unsigned char pk[SEC_SIGN_PUBLIC]);
/* Writes n bytes as 2n lowercase hex digits and a NUL into out. */
void sec_hex(const unsigned char *p, size_t n, char *out);
/* Decodes exactly 2n hex digits (all of hex) into n bytes; false otherwise. */
bool sec_unhex(const char *hex, unsigned char *out, size_t n);

#endif
