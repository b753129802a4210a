/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_checkpoint: signed heads of the audit chain, so that truncating the chain or
 * rewriting a row (and recomputing every later hash) is seen, which the chain alone,
 * having no secret, cannot show.
 *
 * A checkpoint is the head (seq, hash) of a chain that verified, with the time it was
 * taken, signed with an Ed25519 key kept outside the database (a key file made by
 * audit_key_generate, mode 0600). It is exported as JSON and kept off the machine;
 * audit_verify_with (audit.h) checks the chain against any number of them. The signed
 * message is "qifu-audit-checkpoint-v1\n<seq>\n<hash>\n<at ms>".
 *
 *     unsigned char sk[SEC_SIGN_SECRET];
 *     audit_key_load("audit.key", sk, &e);
 *     audit_checkpoint_make(db, sk, &json, &e);        // write json off the machine
 *     ...
 *     audit_checkpoint_parse(text, NULL, &cp, &e);     // later, on any machine
 *     audit_verify_with(db, &cp, 1, &report, &e);
 */
#ifndef QIFU_AUDIT_CHECKPOINT_H
#define QIFU_AUDIT_CHECKPOINT_H

#include <jansson.h>
#include <stdint.h>

#include "../base/rc.h"
#include "../base/sec.h"

struct store;

#define AUDIT_CHECKPOINT_FORMAT "qifu-audit-checkpoint-v1"

struct audit_checkpoint {
    int64_t seq;                       /* the last event covered */
    char hash[SEC_HEX_SHA256];         /* its hash */
    int64_t at;                        /* when the checkpoint was taken, ms */
    unsigned char pk[SEC_SIGN_PUBLIC]; /* the signer's public key */
};

/*
 * Makes a new key pair and writes the secret key to path (created, never overwritten,
 * mode 0600) and the public key to path.pub (0644); pk_hex receives the public key as
 * 64 hex digits. RC_EXISTS when path exists, RC_IO when a file cannot be written.
 */
enum rc audit_key_generate(const char *path, char pk_hex[2 * SEC_SIGN_PUBLIC + 1],
                           struct err *e) WARN_UNUSED;
/* Reads the secret key of path into sk. RC_IO when it cannot be read, RC_FORBIDDEN when
 * group or others may read it, RC_INVALID when it is not a key file. Wipe sk after use. */
enum rc audit_key_load(const char *path, unsigned char sk[SEC_SIGN_SECRET],
                       struct err *e) WARN_UNUSED;
/* Reads a public key given as 64 hex digits, or as a file holding them (path.pub). */
enum rc audit_public_key_load(const char *arg, unsigned char pk[SEC_SIGN_PUBLIC],
                              struct err *e) WARN_UNUSED;
/*
 * Verifies the chain and signs its head with sk; *out is a new JSON object {format, seq,
 * hash, at, at_ms, public_key, signature}. RC_CONFLICT when the chain does not verify
 * (nothing is signed then; e says where it breaks), RC_STATE when it has no event yet.
 */
enum rc audit_checkpoint_make(struct store *s, const unsigned char sk[SEC_SIGN_SECRET],
                              json_t **out, struct err *e) WARN_UNUSED;
/*
 * Parses a checkpoint's JSON text and checks its signature, and that it was signed by
 * pk when pk is not NULL. RC_INVALID when malformed, RC_FORBIDDEN when the signature
 * or the signer is wrong.
 */
enum rc audit_checkpoint_parse(const char *text, const unsigned char *pk,
                               struct audit_checkpoint *out, struct err *e) WARN_UNUSED;

#endif
