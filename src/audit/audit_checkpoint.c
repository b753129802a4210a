/* SPDX-License-Identifier: Apache-2.0 */
/* audit_checkpoint: key files, signing the verified head, parsing and checking. */
#include "audit_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/mem.h"
#include "../base/timeutil.h"
#include "audit.h"

#define KEY_TAG "qifu-audit-key-v1 "

/* Writes the signed message of (seq, hash, at) into out (n bytes); returns its length. */
static size_t message(int64_t seq, const char *hash, int64_t at, char *out, size_t n)
{
    int len =
        snprintf(out, n, AUDIT_CHECKPOINT_FORMAT "\n%" PRId64 "\n%s\n%" PRId64, seq, hash, at);
    return len > 0 && (size_t)len < n ? (size_t)len : 0;
}

/* Writes text to a new file path with mode (O_EXCL: never overwrites). */
static enum rc write_new(const char *path, const char *text, mode_t mode, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0)
        return err_set(e, errno == EEXIST ? RC_EXISTS : RC_IO, NULL, "无法创建 %s：%s", path,
                       errno == EEXIST ? "文件已存在" : strerror(errno));
    size_t n = strlen(text);
    /* The umask may have cleared bits of mode; the secret key must be exactly 0600. */
    bool ok = fchmod(fd, mode) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    return ok ? RC_OK : err_set(e, RC_IO, NULL, "写入 %s 失败", path);
}

enum rc audit_key_generate(const char *path, char pk_hex[2 * SEC_SIGN_PUBLIC + 1], struct err *e)
{
    unsigned char pk[SEC_SIGN_PUBLIC], sk[SEC_SIGN_SECRET];
    char text[sizeof(KEY_TAG) + 2 * SEC_SIGN_SECRET + 2];
    sec_sign_keypair(pk, sk);
    char hex[2 * SEC_SIGN_SECRET + 1];
    sec_hex(sk, sizeof(sk), hex);
    snprintf(text, sizeof(text), "%s%s\n", KEY_TAG, hex);
    sec_wipe(hex, sizeof(hex));
    sec_hex(pk, sizeof(pk), pk_hex);
    enum rc rc = write_new(path, text, 0600, e);
    sec_wipe(sk, sizeof(sk));
    sec_wipe(text, sizeof(text));
    if (rc)
        return rc;
    size_t n = strlen(path) + 5;
    char *pub_path = xmalloc(n);
    snprintf(pub_path, n, "%s.pub", path);
    char line[2 * SEC_SIGN_PUBLIC + 2];
    snprintf(line, sizeof(line), "%s\n", pk_hex);
    rc = write_new(pub_path, line, 0644, e);
    xfree(pub_path);
    return rc;
}

/* Reads at most n - 1 bytes of path into out (NUL-terminated); *st receives its status. */
static enum rc read_small(const char *path, char *out, size_t n, struct stat *st, struct err *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return err_set(e, RC_IO, NULL, "无法读取 %s：%s", path, strerror(errno));
    ssize_t got = fstat(fd, st) == 0 ? read(fd, out, n - 1) : -1;
    close(fd);
    if (got < 0)
        return err_set(e, RC_IO, NULL, "无法读取 %s：%s", path, strerror(errno));
    out[got] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return RC_OK;
}

enum rc audit_key_load(const char *path, unsigned char sk[SEC_SIGN_SECRET], struct err *e)
{
    char text[sizeof(KEY_TAG) + 2 * SEC_SIGN_SECRET + 8];
    struct stat st;
    enum rc rc = read_small(path, text, sizeof(text), &st, e);
    if (rc == RC_OK && (st.st_mode & 077))
        rc = err_set(e, RC_FORBIDDEN, "audit-key", "审计密钥文件 %s 的权限过宽（应为 0600）", path);
    else if (rc == RC_OK && (strncmp(text, KEY_TAG, sizeof(KEY_TAG) - 1) != 0 ||
                             !sec_unhex(text + sizeof(KEY_TAG) - 1, sk, SEC_SIGN_SECRET)))
        rc = err_set(e, RC_INVALID, "audit-key", "%s 不是 qifu 审计密钥文件", path);
    sec_wipe(text, sizeof(text));
    return rc;
}

enum rc audit_public_key_load(const char *arg, unsigned char pk[SEC_SIGN_PUBLIC], struct err *e)
{
    if (sec_unhex(arg, pk, SEC_SIGN_PUBLIC))
        return RC_OK;
    char text[2 * SEC_SIGN_PUBLIC + 8];
    struct stat st;
    enum rc rc = read_small(arg, text, sizeof(text), &st, e);
    if (rc == RC_OK && !sec_unhex(text, pk, SEC_SIGN_PUBLIC))
        rc = err_set(e, RC_INVALID, "public-key", "公钥应为 64 位十六进制数字（或含有它的文件）");
    return rc;
}

enum rc audit_checkpoint_make(struct store *s, const unsigned char sk[SEC_SIGN_SECRET],
                              json_t **out, struct err *e)
{
    struct audit_report r;
    enum rc rc = audit_verify(s, &r, e);
    if (rc)
        return rc;
    if (r.first_bad)
        return err_set(e, RC_CONFLICT, NULL, "审计链在第 %lld 条断裂（%s），不签署检查点",
                       (long long)r.first_bad, r.why);
    if (r.last_seq < 1) /* a checkpoint of seq 0 would be refused by its own verifier */
        return err_set(e, RC_STATE, NULL, "审计链为空，没有可签署的记录");
    int64_t at = time_now_ms();
    char msg[160], when[40], pk_hex[2 * SEC_SIGN_PUBLIC + 1], sig_hex[2 * SEC_SIGN_BYTES + 1];
    unsigned char pk[SEC_SIGN_PUBLIC], sig[SEC_SIGN_BYTES];
    size_t n = message(r.last_seq, r.last_hash, at, msg, sizeof(msg));
    sec_sign(msg, n, sk, sig);
    sec_sign_public(sk, pk);
    sec_hex(pk, sizeof(pk), pk_hex);
    sec_hex(sig, sizeof(sig), sig_hex);
    time_fmt_cst(at, when, sizeof(when));
    *out = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "format", AUDIT_CHECKPOINT_FORMAT,
                     "seq", (json_int_t)r.last_seq, "hash", r.last_hash, "at", when, "at_ms",
                     (json_int_t)at, "public_key", pk_hex, "signature", sig_hex);
    return *out ? RC_OK : err_set(e, RC_INTERNAL, NULL, "无法生成检查点");
}

enum rc audit_checkpoint_parse(const char *text, const unsigned char *pk,
                               struct audit_checkpoint *out, struct err *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    const char *format = NULL, *hash = NULL, *pk_hex = NULL, *sig_hex = NULL;
    json_int_t seq = 0, at = 0;
    unsigned char sig[SEC_SIGN_BYTES];
    enum rc rc = RC_OK;
    memset(out, 0, sizeof(*out));
    if (!j ||
        json_unpack(j, "{s:s, s:I, s:s, s:I, s:s, s:s}", "format", &format, "seq", &seq, "hash",
                    &hash, "at_ms", &at, "public_key", &pk_hex, "signature", &sig_hex) != 0 ||
        strcmp(format, AUDIT_CHECKPOINT_FORMAT) != 0 || seq < 1 || strlen(hash) != 64 ||
        !sec_unhex(pk_hex, out->pk, SEC_SIGN_PUBLIC) || !sec_unhex(sig_hex, sig, sizeof(sig))) {
        rc = err_set(e, RC_INVALID, "checkpoint", "检查点格式不正确");
        goto out;
    }
    out->seq = seq;
    out->at = at;
    snprintf(out->hash, sizeof(out->hash), "%s", hash);
    char msg[160];
    size_t n = message(out->seq, out->hash, out->at, msg, sizeof(msg));
    if (!sec_sign_verify(msg, n, sig, out->pk))
        rc = err_set(e, RC_FORBIDDEN, "checkpoint", "检查点签名无效（内容被改动或不是此密钥签署）");
    else if (pk && !sec_equal(pk, out->pk, SEC_SIGN_PUBLIC))
        rc = err_set(e, RC_FORBIDDEN, "checkpoint", "检查点不是由指定公钥签署的");
out:
    json_decref(j);
    return rc;
}
