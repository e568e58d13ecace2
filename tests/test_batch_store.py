"""The batch store and inputs: lock, foreign and damaged files, streaming, safe names."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.batch import (
    Store,
    StoreBusyError,
    StoreError,
    _store,
    iter_items,
    normalise,
    safe_name,
)
from summarizer.batch._report import build_report
from summarizer.models import Usage
from tests.batch_support import store_sql


def _meta(key: str) -> dict[str, str | None]:
    return {
        "article_id": key,
        "source": key,
        "text_sha256": key,
        "title": None,
        "url": None,
        "published": None,
        "language": None,
        "model": "m",
        "prompt_version": "p",
        "schema_hash": "s",
    }


def test_second_run_on_the_same_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "night.db"
    with Store(path), pytest.raises(StoreBusyError, match="another batch run"):
        Store(path).open()
    with Store(path):  # released on exit
        pass


def test_lock_is_held_against_another_process(tmp_path: Path) -> None:
    path = tmp_path / "night.db"
    code = (
        "import sys; from summarizer.batch import Store, StoreBusyError\n"
        "try:\n    Store(sys.argv[1]).open()\nexcept StoreBusyError as e:\n"
        "    print(e.message); sys.exit(7)\n"
    )
    with Store(path):
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 7, done.stderr
    assert "another batch run" in done.stdout


def test_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE precious (x)")
    db.execute("INSERT INTO precious VALUES (42)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a summarizer batch store"):
        Store(path).open()
    assert path.read_bytes() == before


def test_garbage_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "night.db"
    path.write_bytes(b"%PDF-1.7 not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot be opened as a batch store"):
        Store(path).open()


def test_damaged_store_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "night.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        for i in range(300):
            store.start(f"k{i}", _meta(f"k{i}"), run)
            store.finish(f"k{i}", usage=Usage(), result="x" * 500)
        store_sql(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 3 + 2000] = b"\xff" * 2000  # scribble over a b-tree page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        Store(path).open()


def test_states_and_usage_accumulate_over_attempts(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        store.start("k", _meta("k"), run)
        store.finish("k", usage=Usage(prompt_tokens=10, requests=2), error=("E", "boom"))
        row = store.get("k")
        assert row is not None and (row.state, row.error_type) == ("failed", "E")
        store.start("k", _meta("k"), run)
        store.finish("k", usage=Usage(prompt_tokens=5, requests=1), result="{}")
        row = store.get("k")
        assert row is not None and (row.state, row.attempts, row.error_type) == ("done", 2, None)
        found = store_sql(
            store.path, "SELECT prompt_tokens, requests FROM articles WHERE key = 'k'"
        )
        assert found == [(15, 3)]


def test_a_store_of_version_1_is_reported_then_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        run = store.begin_run(model="m", prompt_version="p", schema_hash="s", settings={})
        store.start("k", _meta("k"), run)
        store.finish("k", usage=Usage(prompt_tokens=10, completion_tokens=2), result="{}")
    with sqlite3.connect(path) as con:  # what summarizer wrote before the Batch API share
        con.execute("ALTER TABLE articles DROP COLUMN batch_prompt_tokens")
        con.execute("ALTER TABLE articles DROP COLUMN batch_completion_tokens")
        con.execute("ALTER TABLE articles DROP COLUMN text")
        con.execute("DROP TABLE answers")
        con.execute("PRAGMA user_version=1")
    old = build_report(path, all_runs=True)  # read-only: reported as it is, all online
    assert (old.total.total_tokens, old.total.batch_tokens) == (12, 0)
    with Store(path) as store:
        assert store_sql(path, "PRAGMA user_version") == [(4,)]
        assert store_sql(path, "SELECT count(*) FROM answers") == [(0,)]  # made
        store.start("k", _meta("k"), run)
        batch = Usage(prompt_tokens=4, completion_tokens=1)
        store.finish(
            "k", usage=Usage(prompt_tokens=5, completion_tokens=1), result="{}", batch=batch
        )
    new = build_report(path, all_runs=True)
    assert (new.total.total_tokens, new.total.batch_tokens) == (18, 5)


# The tables of the first release (store version 1, before the Batch API backend), as it made them.
_FIRST_RELEASE = """
CREATE TABLE articles (
    key TEXT PRIMARY KEY, article_id TEXT NOT NULL, source TEXT NOT NULL,
    text_sha256 TEXT NOT NULL, title TEXT, url TEXT, published TEXT, language TEXT,
    model TEXT NOT NULL, prompt_version TEXT NOT NULL, schema_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0, error_type TEXT, error_message TEXT, result TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0, transport_retries INTEGER NOT NULL DEFAULT 0,
    reasks INTEGER NOT NULL DEFAULT 0, seconds REAL, started_at REAL, finished_at REAL,
    run_id INTEGER
);
CREATE INDEX articles_state ON articles (state);
CREATE INDEX articles_run ON articles (run_id);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, model TEXT NOT NULL,
    prompt_version TEXT NOT NULL, schema_hash TEXT NOT NULL, settings TEXT NOT NULL, counts TEXT
);
CREATE TABLE items (
    run_id INTEGER NOT NULL, seq INTEGER NOT NULL, article_id TEXT NOT NULL,
    source TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (run_id, seq)
);
INSERT INTO runs VALUES (1, 1000.0, 1060.0, 'm', 'p', 's', '{}', '{"done": 1}');
INSERT INTO items VALUES (1, 1, 'k', 'k', 'k');
INSERT INTO articles (key, article_id, source, text_sha256, model, prompt_version, schema_hash,
    state, attempts, result, prompt_tokens, completion_tokens, requests, seconds, started_at,
    finished_at, run_id)
VALUES ('k', 'k', 'k', 'k', 'm', 'p', 's', 'done', 1, '{}', 10, 2, 1, 3.5, 1001.0, 1004.5, 1);
PRAGMA application_id = 1398099290;
PRAGMA user_version = 1;
"""


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's columns (name, type, not null, default, key) and every index's."""
    names = store_sql(path, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return {
        f"{kind} {name}": store_sql(
            path, f"PRAGMA {'table_info' if kind == 'table' else 'index_info'}({name})"
        )
        for kind, name in names
    }


def test_a_store_of_the_first_release_upgrades_to_the_tables_of_a_new_store(
    tmp_path: Path,
) -> None:
    old, new = tmp_path / "first.db", tmp_path / "new.db"
    with contextlib.closing(sqlite3.connect(old)) as con:
        con.executescript(_FIRST_RELEASE)
    before = build_report(old, all_runs=True)  # read-only: reported as it is, all online
    assert (before.counts.done, before.total.total_tokens, before.total.batch_tokens) == (1, 12, 0)
    assert store_sql(old, "PRAGMA user_version") == [(1,)]
    with Store(old) as store:
        row = store.get("k")
        assert row is not None and (row.state, row.result, row.run_id) == ("done", "{}", 1)
        assert [i[:3] for i in store.run_items(1)] == [("k", "k", "k")]
        asyncio.run(store.batch_requests.queue("sum-1", '{"model": "m"}'))  # Batch API tables
        assert store.batch_requests.queued() == [("sum-1", '{"model": "m"}')]
    with Store(new):
        pass
    assert store_sql(old, "PRAGMA user_version") == store_sql(new, "PRAGMA user_version") == [(4,)]
    assert _tables(old) == _tables(new)
    after = build_report(old, all_runs=True)
    assert after.model_dump(exclude={"generated_at"}) == before.model_dump(exclude={"generated_at"})


def test_an_upgrade_that_fails_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.executescript(_FIRST_RELEASE)

    def text_then_full(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE articles ADD COLUMN text TEXT")
        raise sqlite3.OperationalError("database or disk is full")

    migrations = list(_store._MIGRATIONS)
    monkeypatch.setattr(_store, "_MIGRATIONS", [*migrations[:2], text_then_full, *migrations[3:]])
    with pytest.raises(StoreError):
        Store(path).open()
    assert store_sql(path, "PRAGMA user_version") == [(2,)]  # version 2 made, 3 not begun
    assert "text" not in {c[1] for c in store_sql(path, "PRAGMA table_info(articles)")}
    monkeypatch.setattr(_store, "_MIGRATIONS", migrations)
    with Store(path) as store:
        row = store.get("k")
        assert row is not None and row.state == "done"
    assert store_sql(path, "PRAGMA user_version") == [(4,)]


def test_inputs_stream_directories_and_jsonl_with_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Titre deux\n\nCorps.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Titre un\n\nCorps.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "skip.csv").write_text("x,y", encoding="utf-8")
    (tmp_path / "b" / "ATTRIBUTION.md").write_text("Credits", encoding="utf-8")
    (tmp_path / "License.txt").write_text("CC BY", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "x1", "text": "Un texte.", "published": "2024-10-30"})
        + "\n\n{not json\n"
        + json.dumps({"title": "sans id", "text": "Deux."})
        + "\n",
        encoding="utf-8",
    )
    items = list(iter_items([tmp_path]))
    ids = [i.article_id for i in items]
    assert ids == ["a.txt", "b/two.txt", "empty.txt", "x1", f"{tmp_path}/feed.jsonl:3",
                   f"{tmp_path}/feed.jsonl:4"]  # fmt: skip
    errors = {i.article_id: i.error for i in items if i.error is not None}
    assert set(errors) == {f"{tmp_path}/feed.jsonl:3"}  # empty.txt fails later, in the pipeline
    assert "not valid JSON" in str(errors[f"{tmp_path}/feed.jsonl:3"])
    jsonl = next(i for i in items if i.article_id == "x1")
    assert jsonl.date is not None and jsonl.date.isoformat() == "2024-10-30"


def test_normalised_text_ignores_line_ends_and_trailing_space() -> None:
    assert normalise("Titre\r\n\r\nUn  texte. \r\n") == normalise("Titre\n\nUn  texte.")
    assert normalise("é") == normalise("e\u0301")  # NFC


@pytest.mark.parametrize(
    "article_id", ["../../etc/passwd", "/abs/path", "a\x00b", "..", "", "C:\\x\\y", "a/b/c.txt"]
)
def test_output_names_stay_inside_the_directory(tmp_path: Path, article_id: str) -> None:
    name = safe_name(article_id)
    target = (tmp_path / name).resolve()
    assert target.parent == tmp_path.resolve()
    assert "\x00" not in name and "/" not in name and not name.startswith(".")


def test_distinct_ids_get_distinct_names() -> None:
    assert safe_name("a/b") != safe_name("a_b")
