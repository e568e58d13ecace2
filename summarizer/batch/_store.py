"""The batch store: one SQLite file that knows, per run key, whether an article is done.

The store is the night's source of truth; output files are exported from it. Writes are
committed one article at a time in WAL mode with ``synchronous=FULL``, so a ``kill -9`` loses
at most the article being summarized, which the next run sends again. A file lock (not
SQLite's own locking, which serialises writers but lets two runners interleave) keeps two runs
off one store. ``PRAGMA application_id`` marks the file as ours, so a foreign or corrupted file
is refused with a clear error instead of being written over.

Writes go through one writer thread with its own connection, which commits whatever has
queued up in one transaction (group commit): each commit is fsynced, but the event loop never
waits on the disk, and thirty-two articles finishing at once cost one fsync, not thirty-two.
The async methods (``astart``, ``afinish``) return when the write is durable.

Tables:

* ``articles``: one row per run key (text hash + run fingerprint, ``summarizer/_fingerprint.py``):
  ``state`` is ``pending`` (started, not finished), ``done`` (``result`` holds the
  ``ArticleSummary`` JSON) or ``failed`` (``error_type``, ``error_message``), with usage and
  timings, and the (normalised) ``text`` the summary's character offsets point into, so any
  stored summary can be shown in its text later (stores before version 3 keep no text);
* ``runs``: one row per invocation, with its settings and final counts;
* ``items``: which article ids each run saw, in input order, and their key (several ids may
  share a key when two inputs have the same text);
* ``answers``: every model answer received (the chat-completion JSON, committed as soon as it
  arrived), keyed by the sha256 of the request's body, the run fingerprint and how many times
  the run had asked it (:func:`summarizer.client.request_key`; no header, so no API key): an
  article killed with questions answered is summarized again on the rerun, from these answers,
  without sending them again (:class:`StoreAnswers`);
* ``api_requests`` and ``api_submissions``: with the OpenAI Batch API backend, every model
  request by its ``custom_id`` (queued, submitted, answered or failed, with the answer), and
  every file/batch submitted, so a run that dies at any point resumes without sending twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer._answers import request_key
from summarizer._files import unwritable
from summarizer.exceptions import ConfigurationError
from summarizer.models import Usage

__all__ = [
    "APPLICATION_ID",
    "Row",
    "Store",
    "StoreAnswers",
    "StoreBusyError",
    "StoreError",
    "StoreUnwritableError",
]

APPLICATION_ID = 0x53554D5A  # "SUMZ"
SCHEMA_VERSION = 4

_DDL = """
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    source TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    title TEXT,
    url TEXT,
    published TEXT,
    language TEXT,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    schema_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error_type TEXT,
    error_message TEXT,
    result TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    transport_retries INTEGER NOT NULL DEFAULT 0,
    reasks INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    batch_prompt_tokens INTEGER NOT NULL DEFAULT 0,
    batch_completion_tokens INTEGER NOT NULL DEFAULT 0,
    started_at REAL,
    finished_at REAL,
    run_id INTEGER,
    text TEXT
);
CREATE INDEX IF NOT EXISTS articles_state ON articles (state);
CREATE INDEX IF NOT EXISTS articles_run ON articles (run_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    schema_hash TEXT NOT NULL,
    settings TEXT NOT NULL,
    counts TEXT
);
CREATE TABLE IF NOT EXISTS api_requests (
    custom_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('queued', 'submitted', 'answered', 'failed', 'online')),
    submission INTEGER,
    tries INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    response TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS api_requests_state ON api_requests (state, submission);
CREATE TABLE IF NOT EXISTS api_submissions (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('preparing', 'uploaded', 'created', 'finished')),
    requests INTEGER NOT NULL,
    file_id TEXT,
    batch_id TEXT,
    status TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    response TEXT NOT NULL,
    run_id INTEGER,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


class StoreError(ConfigurationError):
    """The store file cannot be used: not ours, corrupted, or unreadable."""


class StoreBusyError(StoreError):
    """Another run holds the store's lock."""


class StoreUnwritableError(StoreError):
    """The store cannot be written where it is: disk full, read-only folder, no permission."""


def _unwritable_error(path: Path, exc: BaseException) -> StoreError:
    """``exc`` as the store error to raise: unwritable (the night stops) or not (one write)."""
    reason = unwritable(exc)
    if reason is not None:
        error: StoreError = StoreUnwritableError(f"cannot write the batch store {path}: {reason}")
    else:
        error = StoreError(f"cannot write the batch store ({type(exc).__name__}: {exc})")
    error.__cause__ = exc
    return error


@dataclass(frozen=True)
class Row:
    """What the store knows about one run key."""

    key: str
    article_id: str
    state: str
    attempts: int
    error_type: str | None
    error_message: str | None
    result: str | None
    run_id: int | None = None


class Store:
    """A batch store opened for one run; use as a context manager (it takes the lock)."""

    def __init__(
        self, path: str | os.PathLike[str], *, lock: bool = True, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self._lock_wanted = lock and not readonly
        self.readonly = readonly
        self._lock_fd: int | None = None
        self._file_lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self._writer: _Writer | None = None
        self._scratch: list[Path] = []  # copies a read-only store was read from

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; give a file path for the store")
        if self.readonly:  # a report, maybe while the night runs: no lock, no write, no check
            self._db = _connect_readonly(self.path, self._scratch)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unwritable_error(self.path, exc) from exc
        try:
            if self._lock_wanted:
                self._lock_fd = _take_lock(self.path)
                self._file_lock_fd = _lock_file(self.path)
            self._db = _connect(self.path)
            if self._lock_wanted and self._file_lock_fd is None:  # a new store, made just now
                self._file_lock_fd = _lock_file(self.path)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._db is not None:
            self._db.close()
            self._db = None
        for fd in (self._file_lock_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)  # closing releases the flock
        self._file_lock_fd = self._lock_fd = None
        while self._scratch:
            shutil.rmtree(self._scratch.pop(), ignore_errors=True)

    @property
    def db(self) -> sqlite3.Connection:
        """The reading connection (the writer thread has its own)."""
        if self._db is None:
            raise StoreError("the store is not open")
        return self._db

    def write(self, sql: str, args: Any = (), *, many: bool = False) -> Future[int]:
        """Queue one write for the writer thread; the future resolves once it is durable."""
        return self._write(sql, args, many=many)

    def _write(self, sql: str, args: Any = (), *, many: bool = False) -> Future[int]:
        if self._writer is None:
            if self.readonly:
                raise StoreError(f"{self.path} was opened read-only")
            self.db  # noqa: B018 - raises when closed
            self._writer = _Writer(self.path)
        return self._writer.submit(sql, _storable(args), many)

    # -- runs ------------------------------------------------------------------------------

    def begin_run(
        self, *, model: str, prompt_version: str, schema_hash: str, settings: dict[str, Any]
    ) -> int:
        return self._write(
            "INSERT INTO runs (started_at, model, prompt_version, schema_hash, settings) "
            "VALUES (?, ?, ?, ?, ?)",
            (time.time(), model, prompt_version, schema_hash, json.dumps(settings)),
        ).result()

    def finish_run(self, run_id: int, counts: dict[str, Any]) -> None:
        """Close a run with its counts and the usage of this run alone (``usage``)."""
        self._write(
            "UPDATE runs SET finished_at = ?, counts = ? WHERE id = ?",
            (time.time(), json.dumps(counts), run_id),
        ).result()

    def add_items(self, run_id: int, items: list[tuple[int, str, str, str]]) -> None:
        """Record (seq, article_id, source, key) seen by a run; committed in one transaction."""
        self._write(
            "INSERT OR REPLACE INTO items (run_id, seq, article_id, source, key) "
            "VALUES (?, ?, ?, ?, ?)",
            [(run_id, *item) for item in items],
            many=True,
        ).result()

    def answers(self, fingerprint: str, run_id: int, *, reuse: bool = True) -> StoreAnswers:
        """The store's answer cache under ``fingerprint``, written by run ``run_id``;
        with ``reuse`` off, answers are stored but none is given back."""
        return StoreAnswers(self, fingerprint, run_id, reuse)

    def last_run(self) -> int | None:
        row = self.db.execute("SELECT max(id) FROM runs").fetchone()
        return None if row[0] is None else int(row[0])

    # -- articles --------------------------------------------------------------------------

    def get(self, key: str) -> Row | None:
        found = self.db.execute(
            "SELECT key, article_id, state, attempts, error_type, error_message, result, run_id "
            "FROM articles WHERE key = ?",
            (key,),
        ).fetchone()
        return None if found is None else Row(*found)

    def start(self, key: str, meta: dict[str, Any], run_id: int) -> None:
        """Mark ``key`` pending before its first request, so a crash leaves a trace."""
        self._start(key, meta, run_id).result()

    async def astart(self, key: str, meta: dict[str, Any], run_id: int) -> None:
        await asyncio.wrap_future(self._start(key, meta, run_id))

    def _start(self, key: str, meta: dict[str, Any], run_id: int) -> Future[int]:
        return self._write(
            "INSERT INTO articles (key, article_id, source, text_sha256, title, url, "
            "published, language, model, prompt_version, schema_hash, state, attempts, "
            "started_at, run_id, text) VALUES (:key, :article_id, :source, :text_sha256, "
            ":title, :url, :published, :language, :model, :prompt_version, :schema_hash, "
            "'pending', 1, :now, :run_id, :text) "
            "ON CONFLICT (key) DO UPDATE SET state = 'pending', attempts = attempts + 1, "
            "started_at = :now, run_id = :run_id, error_type = NULL, error_message = NULL, "
            "text = coalesce(:text, text)",
            {"text": None, **meta, "key": key, "now": time.time(), "run_id": run_id},
        )

    def finish(
        self,
        key: str,
        *,
        usage: Usage,
        result: str | None = None,
        error: tuple[str, str] | None = None,
        batch: Usage | None = None,
    ) -> None:
        """Record the outcome of ``key``: a result (done) or an error (failed); see afinish."""
        self._finish(key, usage, result, error, batch or Usage()).result()

    async def afinish(
        self,
        key: str,
        *,
        usage: Usage,
        result: str | None = None,
        error: tuple[str, str] | None = None,
        batch: Usage | None = None,
    ) -> None:
        """Mark ``key`` done (``result``) or failed (``error``) and add its usage; ``batch`` is
        the part of ``usage`` answered by the Batch API, billed at its discount."""
        await asyncio.wrap_future(self._finish(key, usage, result, error, batch or Usage()))

    def _finish(
        self,
        key: str,
        usage: Usage,
        result: str | None,
        error: tuple[str, str] | None,
        batch: Usage,
    ) -> Future[int]:
        return self._write(
            "UPDATE articles SET state = :state, result = :result, error_type = :etype, "
            "error_message = :emsg, prompt_tokens = prompt_tokens + :pt, "
            "completion_tokens = completion_tokens + :ct, requests = requests + :rq, "
            "transport_retries = transport_retries + :tr, reasks = reasks + :ra, "
            "batch_prompt_tokens = batch_prompt_tokens + :bpt, "
            "batch_completion_tokens = batch_completion_tokens + :bct, "
            "seconds = :sec, finished_at = :now WHERE key = :key",
            {
                "bpt": batch.prompt_tokens,
                "bct": batch.completion_tokens,
                "key": key,
                "state": "done" if error is None else "failed",
                "result": result,
                "etype": None if error is None else error[0],
                "emsg": None if error is None else error[1],
                "pt": usage.prompt_tokens,
                "ct": usage.completion_tokens,
                "rq": usage.requests,
                "tr": usage.transport_retries,
                "ra": usage.reasks,
                "sec": usage.seconds,
                "now": time.time(),
            },
        )

    def run_items(self, run_id: int) -> Iterator[tuple[str, str, str, Row | None]]:
        """(article_id, source, key, row) for each item of a run, in input order, streamed."""
        cur = self.db.execute(
            "SELECT i.article_id, i.source, i.key, a.key, a.article_id, a.state, a.attempts, "
            "a.error_type, a.error_message, a.result, a.run_id FROM items i "
            "LEFT JOIN articles a ON a.key = i.key WHERE i.run_id = ? ORDER BY i.seq",
            (run_id,),
        )
        for found in cur:
            row = None if found[3] is None else Row(*found[3:])
            yield found[0], found[1], found[2], row

    def counts(self, run_id: int | None = None) -> dict[str, int]:
        """Articles per state, for one run's items or for the whole store."""
        if run_id is None:
            query, args = "SELECT state, count(*) FROM articles GROUP BY state", ()
        else:
            query = (
                "SELECT coalesce(a.state, 'pending'), count(DISTINCT i.key) FROM items i "
                "LEFT JOIN articles a ON a.key = i.key WHERE i.run_id = ? GROUP BY 1"
            )
            args = (run_id,)  # type: ignore[assignment]
        found = dict(self.db.execute(query, args).fetchall())
        return {s: int(found.get(s, 0)) for s in ("done", "failed", "pending")}


class StoreAnswers:
    """The :class:`~summarizer.client.AnswerCache` of a store, for one run fingerprint.

    Read on the store's reading connection (the event loop's thread); written through the
    writer thread, ``put`` returning once the answer is committed. A write the disk refuses
    raises :class:`StoreUnwritableError`, which stops the night like any other."""

    def __init__(self, store: Store, fingerprint: str, run_id: int, reuse: bool) -> None:
        self._store, self._fingerprint, self._run_id, self._reuse = (
            store,
            fingerprint,
            run_id,
            reuse,
        )
        self._asked: Counter[str] = Counter()  # times this run asked each request
        self.reused = 0
        """Answers given back (requests not sent again)."""

    def get(self, request: dict[str, Any]) -> tuple[str, str | None]:
        first = request_key(request, self._fingerprint)
        asking = self._asked[first]
        self._asked[first] += 1
        key = first if asking == 0 else request_key(request, self._fingerprint, asking)
        if not self._reuse:
            return key, None
        found = self._store.db.execute(
            "SELECT response FROM answers WHERE key = ?", (key,)
        ).fetchone()
        if found is None:
            return key, None
        self.reused += 1
        return key, str(found[0])

    async def put(self, key: str, answer: str) -> None:
        # REPLACE: a night that asks afresh (``reuse`` off) keeps its own, newer answer.
        await asyncio.wrap_future(
            self._store._write(
                "INSERT OR REPLACE INTO answers (key, fingerprint, response, run_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, self._fingerprint, answer, self._run_id, time.time()),
            )
        )


class _Writer:
    """One thread, one connection: every queued write, then one commit (and one fsync)."""

    _GROUP = 512

    def __init__(self, path: Path) -> None:
        self._queue: queue.SimpleQueue[tuple[str, Any, bool, Future[int]] | None] = (
            queue.SimpleQueue()
        )
        self._path = path
        self._db = _connect(path, check=False)
        self._thread = threading.Thread(target=self._run, name="summarizer-store", daemon=True)
        self._thread.start()

    def submit(self, sql: str, args: Any, many: bool) -> Future[int]:
        done: Future[int] = Future()
        self._queue.put((sql, args, many, done))
        return done

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._db.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
            # A write whose waiter was cancelled (an article's question cancelled while its
            # answer was being stored) is still made; only its result has no one to go to.
            # Marked running first, a future can no longer be cancelled under our feet.
            self._commit(
                [
                    (sql, args, many, done if done.set_running_or_notify_cancel() else None)
                    for sql, args, many, done in group
                ]
            )

    def _commit(self, group: list[tuple[str, Any, bool, Future[int] | None]]) -> None:
        try:
            with self._db:
                ids = [
                    (self._db.executemany if many else self._db.execute)(sql, args).lastrowid
                    for sql, args, many, _ in group
                ]
        except Exception as exc:  # the thread must outlive any error, or every writer hangs
            error = _unwritable_error(self._path, exc)
            if len(group) > 1 and not isinstance(error, StoreUnwritableError):
                for one in group:  # one bad write (a number too big…) fails alone
                    self._commit([one])
                return
            for *_, done in group:
                if done is not None:
                    done.set_exception(error)
            return
        for (*_, done), rowid in zip(group, ids, strict=True):
            if done is not None:
                done.set_result(int(rowid or 0))


def _storable(value: Any) -> Any:
    """``value`` with every string UTF-8 can hold, as SQLite needs: a file name whose bytes are
    not UTF-8 (read as lone surrogates) is stored with those bytes escaped, never refused."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            try:
                raw = value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
            return raw.decode("utf-8", "backslashreplace")
        return value
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_storable(v) for v in value)
    return value


def _take_lock(path: Path) -> int:
    """Lock the store for this run: a lock file beside the file the path *resolves* to, so a
    second run reaching the same store through a symlink (of the file or of a folder on the
    way) meets the same lock instead of one of its own. A hard link has a name and folder of
    its own, so the store file itself is locked too (:func:`_lock_file`)."""
    real = Path(os.path.realpath(path))
    lock_path = real.with_name(real.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _unwritable_error(path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise _busy(path, holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _busy(path: Path, holder: str = "") -> StoreBusyError:
    return StoreBusyError(
        f"another batch run is using {path}{holder}; wait for it to finish "
        "(or stop it) before starting a new one"
    )


def _lock_file(path: Path) -> int | None:
    """An exclusive ``flock`` on the store file itself, that is on its (st_dev, st_ino), which
    every name of it shares, hard links included; None when the file does not exist yet.

    SQLite locks with ``fcntl`` byte ranges, which do not meet an ``flock`` on Linux; the
    descriptor is kept open until the store's connections are closed (closing another
    descriptor of the file would drop SQLite's ``fcntl`` locks)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unwritable_error(path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _busy(path) from None
    return fd


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f" (process {pid})"
    return ""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _v2_batch_tokens(db: sqlite3.Connection) -> None:
    """The tokens the Batch API answered, priced at its discount."""
    for column in ("batch_prompt_tokens", "batch_completion_tokens"):
        if column not in _columns(db, "articles"):
            db.execute(f"ALTER TABLE articles ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")


def _v3_text(db: sqlite3.Connection) -> None:
    """The article text the offsets point into (NULL for older rows)."""
    if "text" not in _columns(db, "articles"):
        db.execute("ALTER TABLE articles ADD COLUMN text TEXT")


def _v4_answers(db: sqlite3.Connection) -> None:
    """The answer cache: every model answer received, by request key."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
        "response TEXT NOT NULL, run_id INTEGER, created_at REAL NOT NULL)"
    )


_MIGRATIONS = ((2, _v2_batch_tokens), (3, _v3_text), (4, _v4_answers))
"""Ordered: a store of version ``v`` gets every migration numbered above ``v``, each in its own
transaction with the version it reaches. The tables of version 1 (and the columns of 2 and 3,
which each migration checks for) are :data:`_DDL`; a new store is made by running them all."""
assert _MIGRATIONS[-1][0] == SCHEMA_VERSION


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a store of ``version`` up to this one, in place (it keeps its data)."""
    for number, migration in _MIGRATIONS:
        if number > version:
            with db:
                migration(db)
                db.execute(f"PRAGMA user_version={number}")


def _connect_readonly(path: Path, scratch: list[Path]) -> sqlite3.Connection:
    """A read-only connection to the store at ``path``, wherever it lies.

    SQLite reads a WAL store through its ``-shm`` file, which it must create when it is not
    there: in a folder we may not write (a store copied to a read-only share, a colleague's
    folder) that fails. Then, with no ``-wal`` file (or an empty one: the last writer closed
    cleanly) every commit is in the main file, read as ``immutable``; with one, its commits
    are only there, so the store and its WAL are copied to a temporary folder (appended to
    ``scratch``, removed on close) and read from the copy."""
    if not path.is_file():
        raise StoreError(f"{path} does not exist; give the --store file of a batch run")
    uri = path.absolute().as_uri()
    try:
        try:
            db = _open_uri(f"{uri}?mode=ro")
        except sqlite3.DatabaseError as exc:
            if unwritable(exc) is None:
                raise
            wal = path.with_name(path.name + "-wal")
            if wal.is_file() and wal.stat().st_size > 0:
                db = _open_uri(_copied(path, wal, scratch).as_uri())
            else:
                db = _open_uri(f"{uri}?mode=ro&immutable=1")
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"{path} cannot be read as a batch store ({exc})") from exc
    if app_id != APPLICATION_ID:
        db.close()
        raise StoreError(f"{path} is not a summarizer batch store (application_id {app_id:#x})")
    return db


def _open_uri(uri: str) -> sqlite3.Connection:
    """Open ``uri`` and read its schema, where a read-only open fails when it must."""
    db = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _copied(path: Path, wal: Path, scratch: list[Path]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="summarizer-store-"))
    scratch.append(folder)
    copy = folder / path.name
    shutil.copyfile(path, copy)  # the main file first: a commit since is in the WAL
    shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    return copy


def _connect(path: Path, *, check: bool = True) -> sqlite3.Connection:
    existed = path.exists() and path.stat().st_size > 0
    try:
        # ``with db:`` wraps each write in one transaction, committed (and fsynced) at its end.
        db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if existed and app_id != APPLICATION_ID:
            db.close()
            raise StoreError(
                f"{path} is not a summarizer batch store (application_id {app_id:#x}); "
                "choose another --store path, this file is left untouched"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        if not existed:
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            db.close()
            raise StoreError(
                f"{path} was written by a newer summarizer (store version {version}); upgrade"
            )
        db.executescript(_DDL)
        if version < SCHEMA_VERSION:
            _migrate(db, version)
        if check and existed and (found := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
            db.close()
            raise StoreError(
                f"{path} is damaged ({found}); it is left untouched: move it aside, or recover "
                f"it with `sqlite3 {path} .recover`"
            )
    except sqlite3.DatabaseError as exc:
        if unwritable(exc) is not None:
            raise _unwritable_error(path, exc) from exc
        raise StoreError(
            f"{path} cannot be opened as a batch store ({exc}); it may be corrupted or not a "
            "SQLite file. It is left untouched: move it aside or choose another --store path"
        ) from exc
    return db
