#!/usr/bin/env bash
# make lint, part: domain code is backend-neutral (docs/internals/store.md, "SQL that
# differs by backend"). Outside src/store no code branches on the backend, and no SQL
# string literal uses a construct only one of SQLite and PostgreSQL understands: such
# SQL lives in src/store behind a function (store_search_sql, store_next_id, ...).
# Usage: scripts/lint-dialect.sh [ROOT] (default: this repository). Exit 1 on a report.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
files=$(find src -name '*.[ch]' -not -path 'src/store/*' | sort)
# Branching on the backend (store_kind_name, for display, is fine).
branch='\bstore_(conn_)?kind[[:space:]]*\(|\bSTORE_(SQLITE|PG)\b'
# Backend-only SQL inside a string literal: SQLite's FTS5, rowid, PRAGMA, INSERT OR,
# strftime...; PostgreSQL's ILIKE, sequences, row locks, casts, full-text and trigram
# functions, catalogues.
words='ILIKE|MATCH|PRAGMA|GLOB|AUTOINCREMENT|BIGSERIAL|SERIAL|BYTEA|rowid|sqlite_[a-z_]+'
words+='|pg_[a-z_]+|jsonb[a-z_]*|SKIP[[:space:]]+LOCKED|INSERT[[:space:]]+OR|REPLACE[[:space:]]+INTO'
words+='|FOR[[:space:]]+(UPDATE|SHARE)'
funcs='nextval|currval|setval|strftime|julianday|datetime|to_tsvector|to_tsquery|plainto_tsquery'
funcs+='|similarity|word_similarity|GROUP_CONCAT|string_agg|json_extract|last_insert_rowid'
sql="\"[^\"]*(\\b($words)\\b|\\b($funcs)[[:space:]]*\\(|_fts\\b|::[a-z])"
bad=$( { [ -n "$files" ] && grep -nHE "$branch" $files | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)';
         [ -n "$files" ] && grep -nHE "$sql" $files; } | sort -u)
if [ -n "$bad" ]; then
    echo "lint: backend-specific code outside src/store (move it behind a store function):"
    printf '%s\n' "$bad"
    exit 1
fi
exit 0
