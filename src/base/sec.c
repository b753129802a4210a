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
