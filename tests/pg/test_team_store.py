"""The PostgreSQL store at the connection level, and the CLI's core commands on a real server."""

from __future__ import annotations

import pytest

from nerv.store import postgres


@pytest.mark.parametrize("sqlite_text, driver_text", [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
    ("SELECT * FROM t WHERE a = :name", "SELECT * FROM t WHERE a = %(name)s"),
    ("SELECT ?1 WHERE x = ?1", "SELECT %(p1)s WHERE x = %(p1)s"),
    ("SELECT '?', ':x', \"a?\" WHERE b LIKE 'x%' AND c = ?", "SELECT '?', ':x', \"a?\" WHERE b LIKE 'x%%' AND c = %s"),
    ("SELECT x::text, 5 % 2 FROM t WHERE y = ?", "SELECT x::text, 5 %% 2 FROM t WHERE y = %s"),
])
def test_placeholders_are_translated_outside_quotes(sqlite_text, driver_text):
    assert postgres.translate(sqlite_text)[0] == driver_text


def test_a_percent_in_a_literal_reaches_the_server(pg_database):
    conn = postgres.open_connection(pg_database)
    try:  # the driver reads `%` inside quotes too, so an unescaped one would fail to format
        assert conn.execute("SELECT 'a*b' LIKE '%*%' AND ? = 1", (1,)).fetchone() == (True,)
    finally:
        conn.close()


def test_only_lost_races_are_retried_and_by_sqlstate(pg_database):
    import psycopg2

    holder = postgres.open_connection(pg_database)
    waiter = postgres.open_connection(pg_database)
    try:
        holder.execute("CREATE TABLE race (id int PRIMARY KEY)")
        holder.execute("INSERT INTO race VALUES (1)")
        holder.execute("BEGIN")
        holder.execute("SELECT * FROM race WHERE id = 1 FOR UPDATE")
        waiter.execute("SET lock_timeout = 50")
        with pytest.raises(psycopg2.Error) as lost:
            waiter.execute("UPDATE race SET id = 2 WHERE id = 1")
        assert lost.value.pgcode == "55P03" and postgres.is_lock_error(lost.value)
        holder.execute("ROLLBACK")
        with pytest.raises(psycopg2.Error) as duplicate:
            waiter.execute("INSERT INTO race VALUES (?)", (1,))
        assert duplicate.value.pgcode == "23505" and not postgres.is_lock_error(duplicate.value)
    finally:
        holder.close()
        waiter.close()


def test_a_url_that_is_not_postgresql_is_refused_as_usage(cli, monkeypatch):
    from tests.conftest import assert_not_a_bug

    monkeypatch.setenv("NERV_DATABASE_URL", "mysql://somewhere/db")
    result = cli("task", "list", "--json")
    assert result.code == 2 and result.error["code"] == "usage"
    assert_not_a_bug(result)


def test_an_unreachable_server_is_a_database_error(cli, tmp_path):
    from tests.conftest import assert_not_a_bug

    result = cli("--database-url", f"postgresql://nobody@/nerv?host={tmp_path}", "task", "list", "--json")
    assert result.code == 1 and result.error["code"] == "database"
    assert_not_a_bug(result)


def test_core_commands_on_postgresql(cli, pg_database):
    assert cli("project", "add", "demo", "--goal", "team").code == 0
    assert cli("project", "use", "demo").code == 0
    assert [cli("task", "add", title, "--json").data["number"] for title in ("a", "b", "c")] == [1, 2, 3]
    assert [t["number"] for t in cli("task", "list", "--json").data] == [1, 2, 3]
    claimed = cli("task", "claim", "--agent", "a1", "--json").data
    assert (claimed["number"], claimed["assignee"], claimed["status"]) == (1, "a1", "in_progress")
    assert cli("task", "done", "1", "--agent", "a1").code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert [r["rule"] for r in cli("rule", "list", "--json").data] == ["Bash(npm test *)"]
    verified = cli("audit", "verify", "--json").data
    assert verified["ok"] and verified["rows"] > 13
    from nerv.store.db import open_store

    store = open_store()
    try:
        assert store.url == pg_database
        ledger = store._conn.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()
        assert ledger[0] == ("0001_initial",)  # the ledger names steps without their dialect
    finally:
        store.close()


# `db backup`, `restore` and `health` have a meaning on the server: tests/pg/test_team_moving.py.
@pytest.mark.parametrize("command", [("db", "vacuum"), ("db", "checkpoint"), ("db", "integrity")])
def test_commands_about_a_local_file_say_they_do_not_apply(cli, pg_database, command):
    from tests.conftest import assert_not_a_bug

    result = cli(*command, "--json")
    assert result.code == 1 and result.error["code"] == "not_applicable", result.stderr
    assert "PostgreSQL" in result.error["message"] and result.error["hint"]
    assert_not_a_bug(result)


def test_executemany_sends_pages_and_counts_the_rows_inserted(pg_database):
    conn = postgres.open_connection(pg_database)
    try:
        conn.execute("CREATE TABLE bulk (id int PRIMARY KEY, note text, n int)")
        rows = [(i, f"it's (row) {i} 5%", i * 2) for i in range(1, postgres.BATCH_ROWS * 2 + 6)]
        inserted = conn.executemany("INSERT INTO bulk (id, note, n) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows)
        assert inserted.rowcount == len(rows)
        assert conn.execute("SELECT count(*), sum(n) FROM bulk").fetchone() == (len(rows), sum(r[2] for r in rows))
        assert conn.execute("SELECT note FROM bulk WHERE id = 7").fetchone() == ("it's (row) 7 5%",)
        again = conn.executemany("INSERT INTO bulk (id, note, n) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                 rows[:10] + [(0, "new", 0)])
        assert again.rowcount == 1  # the duplicates are skipped, the new row counted
        conn.executemany("UPDATE bulk SET n = :n WHERE id = :id", [{"id": i, "n": -i} for i in range(1, 301)])
        assert conn.execute("SELECT count(*) FROM bulk WHERE n < 0").fetchone() == (300,)
        conn.executemany("INSERT INTO bulk (id, note, n) VALUES (?1, ?2, ?1) ON CONFLICT (id) DO UPDATE"
                         " SET note = excluded.note", [(1, "upserted"), (2, "upserted")])
        assert conn.execute("SELECT count(*) FROM bulk WHERE note = 'upserted'").fetchone() == (2,)
    finally:
        conn.close()


AWKWARD_VALUES = [
    (1, "it's", "back\\slash \\' and \\n \\N \\.", -5, 0.1, True),
    (2, "", "ünïcødé ✓ 'quoted' \"double\" %s %(x)s ? :name $1 -- /*", 0, -1e-300, False),
    (3, None, None, None, None, None),
    (4, "line\nbreak\ttab\r", "x" * 10_000, 2**62, 1e300, 1),
    (5, "\\N", "-1", -(2**62), 3, 0),
]
NOT_FINITE = [(6, "nan", "inf", 7, float("nan"), 0), (7, "text", "", -1, float("-inf"), 1)]  # the driver renders them


@pytest.fixture
def connection(pg_database):
    conn = postgres.open_connection(pg_database)
    yield conn
    conn.close()


# A plain INSERT goes as COPY, one with a tail as a multi-row INSERT of literals: both as the driver's rows.
@pytest.mark.parametrize("tail", ["", " ON CONFLICT DO NOTHING"])
def test_executemany_renders_every_value_as_the_driver_does(connection, tail):
    for table in ("fast", "driver"):
        connection.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, a text, b text, n bigint, x double precision,"
                           " flag int)")
    for rows in (AWKWARD_VALUES, NOT_FINITE):
        inserted = connection.executemany(f"INSERT INTO fast (id, a, b, n, x, flag) VALUES (?, ?, ?, ?, ?, ?){tail}",
                                          rows)
        assert inserted.rowcount == len(rows)
    for row in AWKWARD_VALUES + NOT_FINITE:
        connection.execute("INSERT INTO driver (id, a, b, n, x, flag) VALUES (?, ?, ?, ?, ?, ?)", row)
    read = "SELECT id, a, b, n, x::text, flag FROM {} ORDER BY id"
    assert connection.execute(read.format("fast")).fetchall() == connection.execute(read.format("driver")).fetchall()
    assert connection.execute("SELECT b FROM fast WHERE id = 1").fetchone() == (AWKWARD_VALUES[0][2],)


def test_a_float_into_an_integer_column_is_rounded_as_insert_rounds_it(connection):
    """COPY would refuse 2.5 for an integer column: such rows go as an INSERT, which rounds."""
    connection.execute('CREATE TABLE bulk (id int PRIMARY KEY, n int, "offset" double precision)')
    inserted = connection.executemany('INSERT INTO bulk (id, n, "offset") VALUES (?, ?, ?)', [(1, 2.5, 2.5), (2, 3, 3)])
    assert inserted.rowcount == 2
    assert connection.execute('SELECT n, "offset" FROM bulk ORDER BY id').fetchall() == [(3, 2.5), (3, 3.0)]
    connection.executemany('INSERT INTO bulk (id, "offset") VALUES (?, ?)', [(3, 0.25)])  # a float column: COPY
    assert connection.execute('SELECT "offset" FROM bulk WHERE id = 3').fetchone() == (0.25,)


def test_executemany_refuses_a_nul_byte_as_the_driver_does(connection):
    connection.execute("CREATE TABLE bulk (id int PRIMARY KEY, note text)")
    with pytest.raises(ValueError, match="NUL"):
        connection.executemany("INSERT INTO bulk (id, note) VALUES (?, ?)", [(1, "ok"), (2, "a\x00b")])
    assert connection.execute("SELECT count(*) FROM bulk").fetchone() == (0,)


def test_a_bulk_insert_is_a_few_statements_not_one_per_row(pg_database):
    conn = postgres.open_connection(pg_database)
    try:
        conn.execute("CREATE TABLE bulk (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE statements (n int)")
        conn.execute("INSERT INTO statements VALUES (0)")
        conn.execute("CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$"
                     " BEGIN UPDATE statements SET n = n + 1; RETURN NULL; END $$")
        conn.execute("CREATE TRIGGER per_statement AFTER INSERT ON bulk FOR EACH STATEMENT"
                     " EXECUTE FUNCTION count_statement()")
        rows = [(i,) for i in range(postgres.BATCH_ROWS * 3)]
        conn.executemany("INSERT INTO bulk (id) VALUES (?)", rows)  # one COPY
        assert conn.execute("SELECT n FROM statements").fetchone() == (1,)
        conn.executemany("INSERT INTO bulk (id) VALUES (?) ON CONFLICT DO NOTHING", rows)  # BATCH_ROWS a statement
        assert conn.execute("SELECT n FROM statements").fetchone() == (4,)
    finally:
        conn.close()


def test_pages_reads_a_query_page_by_page_through_a_server_cursor(connection):
    query = "SELECT g FROM generate_series(1, 25) g ORDER BY g"
    open_cursors = "SELECT count(*) FROM pg_cursors WHERE name LIKE 'nerv_pages_%'"
    connection.execute("BEGIN")
    sizes, held = [], []
    for page in postgres.pages(connection, query, size=10):
        sizes.append(len(page))
        held.append(connection.execute(open_cursors).fetchone()[0])
    assert sizes == [10, 10, 5] and held == [1, 1, 1]
    assert connection.execute(open_cursors).fetchone()[0] == 0  # closed once read through
    connection.execute("COMMIT")
    # Outside a transaction (no server cursor can live there): the same rows, in pages.
    assert [row for page in postgres.pages(connection, query, size=10) for row in page] == [(g,) for g in range(1, 26)]
