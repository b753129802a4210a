# SPDX-License-Identifier: Apache-2.0
"""
make lint's check that domain code is backend-neutral (issue 15 item 5,
scripts/lint-dialect.sh): outside src/store nothing branches on the backend and no SQL
string uses a construct only SQLite or only PostgreSQL understands.
"""
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "lint-dialect.sh")

# One line per construct the check must refuse in domain code.
PLANTED = [
    'if (store_conn_kind(c) == STORE_PG)',
    'bool sqlite = store_kind(s) == STORE_SQLITE;',
    'sql = " AND e.name ILIKE ? ESCAPE \'\\\\\'";',
    'sql = "SELECT rowid FROM enterprises_fts WHERE enterprises_fts MATCH ?";',
    'sql = "SELECT nextval(\'demands_id_seq\')";',
    'sql = "SELECT * FROM policies p WHERE p.id = ? FOR UPDATE OF p";',
    'rc = store_exec(c, "PRAGMA cache_size = -2000", e);',
    'sql = "INSERT OR IGNORE INTO t (a) VALUES (?)";',
    'sql = "SELECT strftime(\'%s\', \'now\')";',
    'sql = "SELECT similarity(name, ?) FROM enterprises";',
    'sql = "SELECT CAST(? AS TEXT)::jsonb";',
]
# Lines the check must accept.
ALLOWED = [
    'log_info("backend %s", store_kind_name(db));',
    '/* On SQLite, store_conn_kind(c) == STORE_SQLITE picks FTS5 */',
    'json_object_set_new(o, "similarity", json_real(x));',
    'sql = "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING RETURNING id";',
    'sql = "SELECT a FROM t WHERE b LIKE ? ESCAPE \'\\\\\'";',
]


def run(root):
    return subprocess.run([SCRIPT, str(root)], capture_output=True, text=True, timeout=60)


def test_tree_is_backend_neutral():
    r = run(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_planted_constructs_are_reported(tmp_path):
    os.makedirs(tmp_path / "src" / "dom")
    os.makedirs(tmp_path / "src" / "store")
    (tmp_path / "src" / "dom" / "dom.c").write_text(
        "\n".join(PLANTED + ALLOWED) + "\n", encoding="utf-8")
    # The store may say anything.
    (tmp_path / "src" / "store" / "store_x.c").write_text(
        "\n".join(PLANTED) + "\n", encoding="utf-8")
    r = run(tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    reported = {int(line.split(":")[1]) for line in r.stdout.splitlines()
                if line.startswith("src/")}
    assert reported == set(range(1, len(PLANTED) + 1)), r.stdout
    assert "src/store/" not in r.stdout


def test_clean_tree_passes(tmp_path):
    os.makedirs(tmp_path / "src" / "dom")
    (tmp_path / "src" / "dom" / "dom.c").write_text("\n".join(ALLOWED) + "\n", encoding="utf-8")
    r = run(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
