# SPDX-License-Identifier: Apache-2.0
"""
Upgrading a database of schema 14 through migrations 0015 (one events table, entity-keyed
notices) and 0016 (roles as data), on both backends: the timeline rows of demand_events and
policy_events move into events in their order, notices keep their ids (the webhook's
Idempotency-Key is notice-<id>) and are keyed by the record they were about, the next notice
continues after them (PostgreSQL's sequence), and the users keep their roles.
"""
import sqlite3

from conftest import psql, rewind_sql

ROLES = "'enterprise','clerk','handler','supervisor','policy_officer','admin'"


def back_to_schema_14(s):
    ident = "INTEGER PRIMARY KEY" if s.backend == "sqlite" else "BIGSERIAL PRIMARY KEY"
    # 0019 and later first (0019's triggers name events and demands), then 0018..0015.
    sql = ";\n".join(rewind_sql(s.backend, 18)) + ";\n" + """
        DROP TABLE events;
        DROP TABLE notices;
        DROP TABLE jobs;
        ALTER TABLE policy_runs DROP COLUMN owner;
        ALTER TABLE policy_runs DROP COLUMN resumed;
        ALTER TABLE sessions DROP COLUMN wrote_at;
        CREATE TABLE demand_events (id %(id)s, demand_id BIGINT NOT NULL, at BIGINT NOT NULL,
            actor TEXT NOT NULL, actor_name TEXT NOT NULL, org TEXT NOT NULL,
            action TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, note TEXT,
            internal INTEGER NOT NULL DEFAULT 0, data TEXT);
        CREATE TABLE policy_events (id %(id)s, entity TEXT NOT NULL, entity_id BIGINT NOT NULL,
            at BIGINT NOT NULL, actor TEXT NOT NULL, org TEXT NOT NULL, action TEXT NOT NULL,
            from_state TEXT, to_state TEXT NOT NULL, note TEXT, data TEXT);
        CREATE TABLE notices (id %(id)s, user_id BIGINT, org_id BIGINT, credit_code TEXT,
            demand_id BIGINT, kind TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
            created_at BIGINT NOT NULL, read_at BIGINT,
            delivery_state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
            next_at BIGINT NOT NULL DEFAULT 0, delivered_at BIGINT, last_error TEXT,
            grant_id BIGINT);
        INSERT INTO demand_events (id, demand_id, at, actor, actor_name, org, action, from_state,
            to_state, note, internal, data) VALUES
            (1, 7, 1000, 'user:clerk', '窗口', 'X', 'submit', NULL, 'submitted', NULL, 0, NULL),
            (2, 7, 2000, 'user:clerk', '窗口', 'X', 'note', 'submitted', 'submitted', '内部', 1,
             '{"k":1}');
        INSERT INTO policy_events (id, entity, entity_id, at, actor, org, action, from_state,
            to_state, note, data) VALUES
            (1, 'grant', 9, 1500, 'user:officer', 'Y', 'notify', 'matched', 'notified', '请确认',
             NULL);
        INSERT INTO notices (id, org_id, credit_code, demand_id, grant_id, kind, title, body,
            created_at, read_at, delivery_state, attempts) VALUES
            (500, NULL, '91340100131860916Y', 7, NULL, 'assigned', 'd', '', 10, 11, 'delivered', 2),
            (501, NULL, '91340100131860916Y', NULL, 9, 'grant_matched', 'g', '', 12, NULL,
             'failed', 5),
            (502, NULL, '91340100131860916Y', NULL, NULL, 'plain', 'n', '', 13, NULL, 'pending', 0);
        DELETE FROM schema_migrations WHERE version >= 15;
        DELETE FROM users WHERE role = 'catalog';
    """ % {"id": ident}
    if s.backend == "sqlite":
        con = sqlite3.connect(s.db_path)
        # The users table as 0001 made it (a CHECK list), as in test_access.
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
        ddl = ddl.replace("REFERENCES roles(name)", "CHECK (role IN (%s))" % ROLES)
        ddl = ddl.replace('"users"', "users_old").replace("TABLE users ", "TABLE users_old ")
        con.executescript(sql + ddl + """;
            INSERT INTO users_old SELECT * FROM users;
            DROP TABLE users;
            ALTER TABLE users_old RENAME TO users;
            CREATE INDEX users_org ON users(org_id);
            DROP TABLE roles;""")
        con.commit()
        con.close()
    else:
        psql(s.db_url, sql + """
            ALTER TABLE users DROP CONSTRAINT users_role_fkey;
            DROP TABLE roles;
            ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN (%s));
        """ % ROLES)


def test_upgrade_moves_events_and_keeps_notice_ids(make_server):
    s = make_server()
    s.stop()
    users = s.sql("SELECT id, username, role FROM users ORDER BY id")
    back_to_schema_14(s)
    s.cli("migrate")
    assert s.sql("SELECT entity, entity_id, at, actor_name, action, from_state, to_state, note, "
                 "internal, data FROM events ORDER BY id") == [
        ("demand", "7", "1000", "窗口", "submit", None if s.backend == "sqlite" else "",
         "submitted", None if s.backend == "sqlite" else "", "0",
         None if s.backend == "sqlite" else ""),
        ("demand", "7", "2000", "窗口", "note", "submitted", "submitted", "内部", "1", '{"k":1}'),
        ("grant", "9", "1500", "user:officer", "notify", "matched", "notified", "请确认", "0",
         None if s.backend == "sqlite" else ""),
    ]
    assert s.sql("SELECT id, entity, entity_id, kind, read_at, delivery_state, attempts FROM "
                 "notices ORDER BY id") == [
        ("500", "demand", "7", "assigned", "11", "delivered", "2"),
        ("501", "grant", "9", "grant_matched", None if s.backend == "sqlite" else "", "failed",
         "5"),
        ("502", None if s.backend == "sqlite" else "", None if s.backend == "sqlite" else "",
         "plain", None if s.backend == "sqlite" else "", "pending", "0"),
    ]
    # The next notice continues after the kept ids.
    s.write_sql("INSERT INTO notices (credit_code, kind, title, body, created_at) VALUES "
                "('91340100131860916Y', 'k', 't', '', 14)")
    assert s.sql("SELECT MAX(id) FROM notices") == [("503",)]
    # Every user but the demo's catalogue user (its role came with migration 0022, after 14).
    assert s.sql("SELECT id, username, role FROM users ORDER BY id") == [
        u for u in users if u[2] != "catalog"]
    assert s.sql("SELECT COUNT(*) FROM roles WHERE builtin = 1") == [("8",)]
