# SPDX-License-Identifier: Apache-2.0
"""
The migrations build the same schema on SQLite and on PostgreSQL.

Each migration is written once (src/store/migrations/NNNN_name.sql) and expanded per
backend by tools/embed (dialect tokens and -- @sqlite/-- @pg sections; see
docs/internals/store.md "Migrations"). This test runs `qifu migrate` on a fresh SQLite
file and on a fresh PostgreSQL database, reads each schema back from the database
(sqlite_master and PRAGMAs; pg_catalog) and compares, after normalising what the two
dialects spell differently:

  tables; columns with their type (by SQLite affinity: integer, text, blob, real,
  numeric), nullability (a primary-key column counts as NOT NULL), default (casts and
  outer parentheses dropped; an auto-numbered id counts as "auto"); primary keys;
  unique constraints and indexes (columns, order, uniqueness, partial or not); foreign
  keys (columns, target, ON DELETE/UPDATE); CHECK constraints (how many per table and
  which columns each mentions: their text differs, PostgreSQL rewrites `x IN (...)`).

Not compared: triggers and the full-text search objects, which are dialect-specific
by design (SQLite FTS5 tables vs PostgreSQL pg_trgm indexes, listed below).

Needs both backends, so it runs only when the suite has a PostgreSQL cluster
(tests/run.sh starts one unless TEST_PG=0).
"""
import difflib
import json
import os
import re
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import CLI_TIMEOUT, PG_DIR, QIFU_BIN, drop_pg_database, new_pg_database, psql, qifu_env

# Search objects each dialect has and the other has not (docs/internals/store.md).
SQLITE_ONLY_TABLES = re.compile(r"^(enterprises_fts|policies_fts|catalog_search_fts)(_.*)?$")
PG_ONLY_INDEXES = {"enterprises_name_trgm", "policies_text_trgm", "catalog_search_all_trgm",
                   "catalog_search_short_trgm"}
# INTEGER PRIMARY KEY columns the application always fills (one-row tables, years,
# migration versions): SQLite would number them, PostgreSQL has no sequence for them,
# and neither is asked to. An auto-numbered id is written {{ID}}.
NATURAL_INTEGER_KEYS = {"audit_head.id", "calendar_version.id", "calendar_years.year",
                        "policy_set_version.id", "schema_migrations.version",
                        "catalog_search.impl_id"}

FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL",
              "d": "SET DEFAULT"}


def affinity(declared):
    """SQLite's type affinity of a declared type (sqlite.org/datatype3.html 3.1); the
    PostgreSQL types are mapped onto it by pg_type() below."""
    t = declared.upper()
    if "INT" in t:
        return "integer"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "text"
    if "BLOB" in t or t == "":
        return "blob"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "real"
    return "numeric"


def pg_type(name):
    return {"int2": "integer", "int4": "integer", "int8": "integer", "text": "text",
            "varchar": "text", "bpchar": "text", "bytea": "blob", "float4": "real",
            "float8": "real", "numeric": "numeric", "bool": "boolean(!)",
            "jsonb": "jsonb(!)", "json": "json(!)"}.get(name, name + "(!)")


def norm_default(text):
    """A default as both dialects can agree on it: no casts, no outer parentheses."""
    if text is None:
        return None
    t = text.strip()
    if t.startswith("nextval("):
        return "auto"
    t = re.sub(r"::[a-z ]+(\[\])?", "", t)
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    return t.lower()


def identifiers(expr, columns):
    """The columns of a table an SQL expression mentions."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'", "", expr)))
    return tuple(sorted(c for c in columns if c in words))


def check_exprs(create_sql):
    """The expressions of every CHECK (...) in a SQLite CREATE TABLE text."""
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", create_sql, re.I):
        depth, i = 1, m.end()
        while depth and i < len(create_sql):
            if create_sql[i] == "'":
                i = create_sql.index("'", i + 1)
            elif create_sql[i] == "(":
                depth += 1
            elif create_sql[i] == ")":
                depth -= 1
            i += 1
        out.append(create_sql[m.end():i - 1])
    return out


def sqlite_schema(path):
    con = sqlite3.connect(path)
    try:
        s = {}
        tables = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
        for name, create in tables:
            if SQLITE_ONLY_TABLES.match(name):
                continue
            cols = con.execute("PRAGMA table_info(%s)" % name).fetchall()
            pk = tuple(c[1] for c in sorted((c for c in cols if c[5]), key=lambda c: c[5]))
            t = s[name] = {"columns": {}, "primary key": pk, "indexes": set(),
                           "foreign keys": set(), "checks": []}
            for cid, col, decl, notnull, dflt, in_pk in cols:
                auto = (pk == (col,) and decl.upper() == "INTEGER"  # the rowid alias
                        and "%s.%s" % (name, col) not in NATURAL_INTEGER_KEYS)
                t["columns"][col] = {
                    "type": affinity(decl),
                    "not null": bool(notnull or in_pk),
                    "default": "auto" if auto else norm_default(dflt),
                }
            for _, iname, unique, origin, partial in con.execute(
                    "PRAGMA index_list(%s)" % name).fetchall():
                if origin == "pk":
                    continue  # the primary key, compared above
                keys = [r for r in con.execute("PRAGMA index_xinfo(%s)" % iname).fetchall()
                        if r[5]]
                cols_ = tuple(r[2] + (" DESC" if r[3] else "") for r in keys)
                label = iname if origin == "c" else "(unique constraint)"
                t["indexes"].add((label, bool(unique), cols_, bool(partial)))
            fks = {}
            for row in con.execute("PRAGMA foreign_key_list(%s)" % name).fetchall():
                fid, seq, target, frm, to, on_update, on_delete, _ = row
                fks.setdefault(fid, [target, [], [], on_update, on_delete])
                fks[fid][1].append(frm)
                fks[fid][2].append(to)
            for target, frm, to, on_update, on_delete in fks.values():
                if to == [None] * len(to):  # REFERENCES t: its primary key
                    to = [c[1] for c in sorted(
                        (c for c in con.execute("PRAGMA table_info(%s)" % target) if c[5]),
                        key=lambda c: c[5])]
                t["foreign keys"].add((tuple(frm), target, tuple(to), on_update, on_delete))
            t["checks"] = sorted(identifiers(e, t["columns"]) for e in check_exprs(create))
        return s
    finally:
        con.close()


def pg_json(dsn, query):
    out = psql(dsn, "SELECT COALESCE(json_agg(q), '[]') FROM (%s) q" % query).stdout
    return json.loads(out)


def pg_schema(dsn):
    s = {}
    tables = pg_json(dsn, "SELECT c.oid::int AS oid, c.relname AS name FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
    for tab in sorted(tables, key=lambda r: r["name"]):
        oid, name = tab["oid"], tab["name"]
        cols = pg_json(dsn, "SELECT a.attnum, a.attname AS name, t.typname AS type, "
                            "a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS dflt "
                            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
                            "AND d.adnum = a.attnum WHERE a.attrelid = %d AND a.attnum > 0 "
                            "AND NOT a.attisdropped ORDER BY a.attnum" % oid)
        names = {c["attnum"]: c["name"] for c in cols}
        cons = pg_json(dsn, "SELECT contype, conkey, confrelid::regclass::text AS target, "
                            "confkey, confupdtype, confdeltype, conindid::int AS indid "
                            "FROM pg_constraint WHERE conrelid = %d" % oid)
        pk = ()
        for c in cons:
            if c["contype"] == "p":
                pk = tuple(names[k] for k in c["conkey"])
        t = s[name] = {"columns": {}, "primary key": pk, "indexes": set(),
                       "foreign keys": set(), "checks": []}
        for c in cols:
            t["columns"][c["name"]] = {
                "type": pg_type(c["type"]),
                "not null": bool(c["notnull"]),
                "default": norm_default(c["dflt"]),
            }
        constraint_index = {c["indid"]: c["contype"] for c in cons if c["contype"] in "pu"}
        for c in cons:
            if c["contype"] == "f":
                tnum = {r["attnum"]: r["attname"] for r in pg_json(
                    dsn, "SELECT attnum, attname FROM pg_attribute WHERE attrelid = "
                         "'%s'::regclass AND attnum > 0" % c["target"])}
                t["foreign keys"].add((tuple(names[k] for k in c["conkey"]), c["target"],
                                       tuple(tnum[k] for k in c["confkey"]),
                                       FK_ACTIONS[c["confupdtype"]],
                                       FK_ACTIONS[c["confdeltype"]]))
            elif c["contype"] == "c":
                t["checks"].append(tuple(sorted(names[k] for k in c["conkey"])))
        t["checks"].sort()
        idx = pg_json(dsn, "SELECT i.indexrelid::int AS oid, c.relname AS name, "
                           "i.indisunique AS uniq, i.indkey::int2[] AS keys, "
                           "i.indoption::int2[] AS opts, i.indpred IS NOT NULL AS partial "
                           "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                           "WHERE i.indrelid = %d" % oid)
        for i in idx:
            if i["name"] in PG_ONLY_INDEXES or constraint_index.get(i["oid"]) == "p":
                continue
            cols_ = tuple((names[k] if k else "(expression)") + (" DESC" if o & 1 else "")
                          for k, o in zip(i["keys"], i["opts"]))
            label = "(unique constraint)" if constraint_index.get(i["oid"]) == "u" else i["name"]
            t["indexes"].add((label, i["uniq"], cols_, i["partial"]))
    return s


def render(schema):
    """One sorted line per fact, so that a difference reads as a short diff."""
    lines = []
    for name in sorted(schema):
        t = schema[name]
        lines.append("table %s primary key %s" % (name, ",".join(t["primary key"])))
        for col in sorted(t["columns"]):
            c = t["columns"][col]
            lines.append("  %s.%s %s%s%s" % (name, col, c["type"],
                                            " NOT NULL" if c["not null"] else "",
                                            " DEFAULT %s" % c["default"]
                                            if c["default"] is not None else ""))
        for label, unique, cols, partial in sorted(t["indexes"]):
            lines.append("  %s index %s %s(%s)%s" % (name, label, "UNIQUE " if unique else "",
                                                     ", ".join(cols),
                                                     " WHERE ..." if partial else ""))
        for frm, target, to, on_update, on_delete in sorted(t["foreign keys"]):
            lines.append("  %s foreign key (%s) -> %s(%s) ON UPDATE %s ON DELETE %s" % (
                name, ", ".join(frm), target, ", ".join(to), on_update, on_delete))
        for cols in t["checks"]:
            lines.append("  %s check on (%s)" % (name, ", ".join(cols)))
    return lines


def migrate(url, tmp):
    p = subprocess.run([QIFU_BIN, "migrate", "--db", url], capture_output=True, text=True,
                       timeout=CLI_TIMEOUT, env=qifu_env(), cwd=tmp)
    assert p.returncode == 0, "qifu migrate --db %s failed:\n%s%s" % (url, p.stdout, p.stderr)


@pytest.mark.skipif(not PG_DIR, reason="needs the PostgreSQL test cluster (TEST_PG_DIR)")
def test_sqlite_and_postgres_schemas_agree():
    with tempfile.TemporaryDirectory(prefix="qifu-schema-") as tmp:
        path = os.path.join(tmp, "schema.db")
        migrate("sqlite:" + path, tmp)
        name, url = new_pg_database()
        try:
            migrate(url, tmp)
            pg = render(pg_schema(url))
        finally:
            drop_pg_database(name)
        lite = render(sqlite_schema(path))
    diff = list(difflib.unified_diff(lite, pg, "sqlite", "postgres", lineterm="", n=1))
    assert not diff, ("the migrations build different schemas on the two backends "
                      "(- SQLite, + PostgreSQL; fix it with a new migration):\n"
                      + "\n".join(diff))
    # The comparison saw the whole schema, not an empty one.
    assert any(line.startswith("table demands ") for line in lite)
    assert len(lite) > 300
