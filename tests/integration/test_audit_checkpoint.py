# SPDX-License-Identifier: Apache-2.0
"""Signed audit checkpoints (issue 14 item 19): `qifu audit keygen`, `audit checkpoint`,
and `audit verify --checkpoint`. Truncating the chain (rewinding audit_head with it) and
rewriting a row while recomputing every later hash both pass the plain verify, which has
no secret; against a checkpoint signed before the tampering they fail."""
import hashlib
import json
import os
import stat
import subprocess

from conftest import QIFU_BIN, qifu_env
from test_audit import create_user, tamper

ROWS = "seq, at, actor, org, action, entity, entity_id, before, after, prev_hash, hash"


def drop_triggers(s):
    if s.backend == "sqlite":
        return ["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"]
    return ["DROP TRIGGER audit_no_update ON audit"]


def chain_hash(prev, row):
    """audit.c chain_hash: SHA-256(prev || seq␟at␟actor␟org␟action␟entity␟id␟before␟after)."""
    seq, at, actor, org, action, entity, eid, before, after = row[:9]
    text = prev + "\x1f".join([str(seq), str(at), actor, org, action, entity, eid,
                               before or "", after or ""])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def q(v):
    return "NULL" if v is None else "'%s'" % v.replace("'", "''")


def keygen(s, name="audit.key"):
    path = os.path.join(s.tmp, name)
    p = s.cli("audit", "keygen", path)
    pub = open(path + ".pub").read().strip()
    assert len(pub) == 64 and pub in p.stdout
    return path, pub


def checkpoint(s, key, name):
    out = os.path.join(s.tmp, name)
    s.cli("audit", "checkpoint", "--audit-key", key, "--out", out)
    with open(out) as f:
        cp = json.load(f)
    return out, cp


def test_keygen_and_checkpoint(make_server):
    s = make_server()
    key, pub = keygen(s)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert s.cli("audit", "keygen", key, check=False).returncode != 0  # never overwrites
    path, cp = checkpoint(s, key, "cp.json")
    n = s.audit_count()
    head = s.sql("SELECT seq, hash FROM audit_head")[0]
    assert cp["seq"] == n == int(head[0]) and cp["hash"] == head[1]
    assert cp["public_key"] == pub and len(cp["signature"]) == 128
    assert cp["format"] == "qifu-audit-checkpoint-v1" and cp["at"].endswith("+08:00")
    # to standard output too
    p = s.cli("audit", "checkpoint", "--audit-key", key)
    assert json.loads(p.stdout)["seq"] == n
    # new events after a checkpoint are fine
    create_user(s, "after_cp")
    p = s.cli("audit", "verify", "--checkpoint", path, "--public-key", pub)
    assert "审计链完整" in p.stdout and "1 checkpoints" in p.stdout
    # a key readable by others is refused
    os.chmod(key, 0o644)
    p = s.cli("audit", "checkpoint", "--audit-key", key, check=False)
    assert p.returncode != 0 and "0600" in p.stderr
    os.chmod(key, 0o600)
    # a checkpoint edited after signing, or signed by another key than the pinned one
    forged = dict(cp, seq=cp["seq"] - 1)
    bad = os.path.join(s.tmp, "forged.json")
    with open(bad, "w") as f:
        json.dump(forged, f)
    p = s.cli("audit", "verify", "--checkpoint", bad, check=False)
    assert p.returncode == 1 and "签名无效" in p.stderr
    other, _ = keygen(s, "other.key")
    path2, _ = checkpoint(s, other, "cp-other.json")
    p = s.cli("audit", "verify", "--checkpoint", path2, "--public-key", key + ".pub", check=False)
    assert p.returncode == 1 and "指定公钥" in p.stderr
    # without a pinned key, checkpoints signed by two different keys are refused
    p = s.cli("audit", "verify", "--checkpoint", path, "--checkpoint", path2, check=False)
    assert p.returncode == 1 and "不同密钥" in p.stderr, p.stderr
    p = s.cli("audit", "verify", "--checkpoint", path2)
    assert "审计链完整" in p.stdout


def test_truncation_needs_checkpoint(make_server):
    s = make_server()
    key, pub = keygen(s)
    create_user(s, "trunc_cp_user")
    path, cp = checkpoint(s, key, "cp.json")
    n = cp["seq"]
    keep = s.sql("SELECT hash FROM audit WHERE seq = %d" % (n - 2))[0][0]
    # Cut the last two events and rewind the head with them: the chain is consistent.
    tamper(s, drop_triggers(s) + ["DELETE FROM audit WHERE seq > %d" % (n - 2),
                                  "UPDATE audit_head SET seq = %d, hash = '%s'" % (n - 2, keep)])
    p = s.cli("audit", "verify")
    assert p.returncode == 0 and "审计链完整" in p.stdout  # the old verify cannot tell
    p = s.cli("audit", "verify", "--checkpoint", path, "--public-key", pub, check=False)
    assert p.returncode == 1, p.stdout
    assert "链尾被截断" in p.stdout and "seq %d" % (n - 1) in p.stdout, p.stdout


def test_rewrite_with_recomputed_hashes_needs_checkpoint(make_server):
    s = make_server()
    key, pub = keygen(s)
    u = create_user(s, "rewrite_victim")
    create_user(s, "rewrite_between")
    path, cp = checkpoint(s, key, "cp.json")
    create_user(s, "rewrite_later")  # events after the checkpoint are rewritten too
    seq = int(s.sql("SELECT seq FROM audit WHERE action = 'user.create' AND entity_id = '%s'"
                    % u["id"])[0][0])
    assert seq < cp["seq"]
    rows = s.sql("SELECT %s FROM audit WHERE seq >= %d ORDER BY seq" % (ROWS, seq))
    prev = rows[0][9]
    stmts = drop_triggers(s)
    for i, row in enumerate(rows):
        row = list(row)
        if i == 0:
            row[8] = row[8].replace('"handler"', '"admin"')
            assert row[8] != rows[0][8]
        h = chain_hash(prev, row)
        stmts.append("UPDATE audit SET after = %s, prev_hash = '%s', hash = '%s' WHERE seq = %s"
                     % (q(row[8]), prev, h, row[0]))
        prev = h
    stmts.append("UPDATE audit_head SET hash = '%s'" % prev)
    tamper(s, stmts)
    p = s.cli("audit", "verify")
    assert p.returncode == 0 and "审计链完整" in p.stdout  # the old verify cannot tell
    p = s.cli("audit", "verify", "--checkpoint", path, "--public-key", pub, check=False)
    assert p.returncode == 1, p.stdout
    assert "检查点不符" in p.stdout and "seq %d" % cp["seq"] in p.stdout, p.stdout
    # a checkpoint is refused for a chain that does not verify
    tamper(s, ["UPDATE audit SET actor = 'user:nobody' WHERE seq = %d" % seq])
    p = s.cli("audit", "checkpoint", "--audit-key", key, check=False)
    assert p.returncode != 0 and "不签署检查点" in p.stderr


def test_no_checkpoint_of_an_empty_chain(tmp_path):
    """A new database has no event to sign: `audit checkpoint` wrote a checkpoint of seq 0
    that `audit verify --checkpoint` then refused as malformed."""
    db = "sqlite://" + str(tmp_path / "empty.db")
    key = str(tmp_path / "audit.key")
    run = lambda *a: subprocess.run([QIFU_BIN] + list(a), capture_output=True, text=True,
                                    env=qifu_env(), cwd=str(tmp_path), timeout=60)
    assert run("audit", "keygen", key).returncode == 0
    out = str(tmp_path / "cp.json")
    p = run("audit", "checkpoint", "--audit-key", key, "--db", db, "--out", out)
    assert p.returncode == 1 and "为空" in p.stderr, (p.returncode, p.stderr)
    assert not os.path.exists(out)
