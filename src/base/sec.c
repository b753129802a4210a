/* SPDX-License-Identifier: Apache-2.0 */
/* sec: thin wrappers over libsodium. */
#include "sec.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum rc sec_init(void)
{
    return sodium_init() < 0 ? RC_INTERNAL : RC_OK;
}

void sec_sha256_hex(const void *p, size_t n, char out[SEC_HEX_SHA256])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p, n);
    sodium_bin2hex(out, SEC_HEX_SHA256, h, sizeof(h));
}

void sec_token(char out[SEC_TOKEN_LEN])
{
    unsigned char r[32];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(out, SEC_TOKEN_LEN, r, sizeof(r), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum rc sec_pwhash(const char *password, char out[SEC_PWHASH_LEN])
{
    _Static_assert(SEC_PWHASH_LEN == crypto_pwhash_STRBYTES, "pwhash length");
    const char *fast = getenv("QIFU_FAST_HASH");
    bool quick = fast && strcmp(fast, "1") == 0;
    unsigned long long ops = quick ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = quick ? crypto_pwhash_MEMLIMIT_MIN * 8 : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str_alg(out, password, strlen(password), ops, mem,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return RC_INTERNAL;
    return RC_OK;
}

bool sec_pwverify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool sec_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void sec_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

void sec_sign_keypair(unsigned char pk[SEC_SIGN_PUBLIC], unsigned char sk[SEC_SIGN_SECRET])
{
    _Static_assert(SEC_SIGN_PUBLIC == crypto_sign_PUBLICKEYBYTES, "public key length");
    _Static_assert(SEC_SIGN_SECRET == crypto_sign_SECRETKEYBYTES, "secret key length");
    _Static_assert(SEC_SIGN_BYTES == crypto_sign_BYTES, "signature length");
    crypto_sign_keypair(pk, sk);
}

void sec_sign_public(const unsigned char sk[SEC_SIGN_SECRET], unsigned char pk[SEC_SIGN_PUBLIC])
{
    crypto_sign_ed25519_sk_to_pk(pk, sk);
}

void sec_sign(const void *m, size_t n, const unsigned char sk[SEC_SIGN_SECRET],
              unsigned char sig[SEC_SIGN_BYTES])
{
    crypto_sign_detached(sig, NULL, m, n, sk);
}

bool sec_sign_verify(const void *m, size_t n, const unsigned char sig[SEC_SIGN_BYTES],
                     const unsigned char pk[SEC_SIGN_PUBLIC])
{
    return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}

void sec_hex(const unsigned char *p, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, p, n);
}

bool sec_unhex(const char *hex, unsigned char *out, size_t n)
{
    size_t got = 0;
    const char *end = NULL;
    return strlen(hex) == 2 * n && sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, &end) == 0 &&
           got == n;
}
