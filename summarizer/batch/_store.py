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
  every file/batch submitted, so a run that dies at any point resumes without sending twice
  (their statements are in :mod:`summarizer.batch._batch_requests`, :attr:`Store.batch_requests`).

Every SQL statement of the package is in this module or in ``_batch_requests``: the rest of
the package calls named methods that return plain values and dataclasses. The tables are made
and upgraded by ordered migrations (``_MIGRATIONS``, recorded by ``PRAGMA user_version``); a
store opened read-only (a report) is read at the version it has, never upgraded.
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
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer._answers import request_key
from summarizer._files import unwritable
from summarizer.batch._batch_requests import BatchRequests
from summarizer.exceptions import ConfigurationError
from summarizer.models import Usage

__all__ = [
    "APPLICATION_ID",
    "ArticleRecord",
    "DoneResult",
    "FailureType",
    "ModelTotals",
    "Row",
    "RunRecord",
    "RunTally",
    "Store",
    "StoreAnswers",
    "StoreBusyError",
    "StoreError",
    "StoreUnwritableError",
]

APPLICATION_ID = 0x53554D5A  # "SUMZ"
SCHEMA_VERSION = 4
"""How many migrations a store of this release has had (``PRAGMA user_version``)."""


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


@dataclass(frozen=True)
class RunRecord:
    """One run as the store has it."""

    id: int
    started_at: float
    finished_at: float | None
    model: str
    prompt_version: str
    counts: str | None
    """The runner's counts (JSON), recorded when the run finished."""
    last_finished_at: float | None
    """When the last article the run summarized finished (None before the first)."""


@dataclass(frozen=True)
class RunTally:
    """A run's input: its items (article ids), their distinct keys, and per outcome how many
    keys: ``done``/``failed`` by this run, ``skipped_done``/``skipped_failed`` (an earlier run
    had finished them), ``later`` (a later run took them over), ``pending``."""

    items: int
    keys: int
    outcomes: dict[str, int]


@dataclass(frozen=True)
class FailureType:
    """The failed keys of one error type, with (article_id, message) of the first ones."""

    error_type: str
    count: int
    examples: list[tuple[str, str]]


@dataclass(frozen=True)
class ModelTotals:
    """The usage of the done and failed keys of one model, summed over every attempt."""

    model: str
    articles: int
    prompt_tokens: int
    completion_tokens: int
    requests: int
    transport_retries: int
    reasks: int
    batch_prompt_tokens: int
    batch_completion_tokens: int


@dataclass(frozen=True)
class DoneResult:
    """A done key's result (``ArticleSummary`` JSON) and what identifies its article."""

    article_id: str
    title: str | None
    url: str | None
    text_sha256: str
    result: str | None


@dataclass(frozen=True)
class ArticleRecord:
    """A key as the night's page shows it; ``text`` is None in a store before version 3."""

    article_id: str
    source: str
    state: str
    title: str | None
    url: str | None
    error_type: str | None
    error_message: str | None
    seconds: float | None
    finished_at: float | None
    result: str | None
    text_sha256: str
    text: str | None


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
        self._version = SCHEMA_VERSION  # a read-only store is read at the version it has
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
            self._db, self._version = _connect_readonly(self.path, self._scratch)
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
    def _reader(self) -> sqlite3.Connection:
        """The reading connection (the writer thread has its own)."""
        if self._db is None:
            raise StoreError("the store is not open")
        return self._db

    def _write(self, sql: str, args: Any = (), *, many: bool = False) -> Future[int]:
        """Queue one write for the writer thread; the future resolves once it is durable."""
        if self._writer is None:
            if self.readonly:
                raise StoreError(f"{self.path} was opened read-only")
            self._reader  # noqa: B018 - raises when closed
            self._writer = _Writer(self.path)
        return self._writer.submit(sql, _storable(args), many)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """In the block, a read that cannot be made on this file (a damaged page, a missing
        table) raises :class:`StoreError`."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} cannot be read as a batch store ({exc})") from exc

    @property
    def batch_requests(self) -> BatchRequests:
        """The OpenAI Batch API's requests and submissions kept in this store."""
        return BatchRequests(lambda: self._reader, self._write)

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
        row = self._reader.execute("SELECT max(id) FROM runs").fetchone()
        return None if row[0] is None else int(row[0])

    # -- articles --------------------------------------------------------------------------

    def get(self, key: str) -> Row | None:
        found = self._reader.execute(
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
        cur = self._reader.execute(
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
        found = dict(self._reader.execute(query, args).fetchall())
        return {s: int(found.get(s, 0)) for s in ("done", "failed", "pending")}

    # -- the report (one run's input, or every key when ``run`` is None) --------------------

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return [RunRecord(*found) for found in self._reader.execute(_RUNS + "ORDER BY id")]

    def run(self, run_id: int) -> RunRecord | None:
        """Run ``run_id``, None when the store has no such run."""
        found = self._reader.execute(_RUNS + "WHERE id = ?", (run_id,)).fetchone()
        return None if found is None else RunRecord(*found)

    def first_run_started(self) -> float | None:
        """When the store's first run started (None before any run)."""
        (started,) = self._reader.execute("SELECT min(started_at) FROM runs").fetchone()
        return None if started is None else float(started)

    def run_tally(self, run_id: int) -> RunTally:
        """A run's items and texts, and what became of each text (see :class:`RunTally`)."""
        db = self._reader
        items, keys = db.execute(
            "SELECT count(*), count(DISTINCT key) FROM items WHERE run_id = ?", (run_id,)
        ).fetchone()
        found = db.execute(
            "SELECT CASE WHEN a.key IS NULL THEN 'pending' "
            "WHEN a.run_id = :run THEN a.state "
            "WHEN a.run_id > :run THEN 'later' "
            "WHEN a.state = 'done' THEN 'skipped_done' "
            "WHEN a.state = 'failed' THEN 'skipped_failed' ELSE 'pending' END, count(*) "
            "FROM (SELECT DISTINCT key FROM items WHERE run_id = :run) i "
            "LEFT JOIN articles a ON a.key = i.key GROUP BY 1",
            {"run": run_id},
        ).fetchall()
        return RunTally(int(items), int(keys), {str(k): int(v) for k, v in found})

    def retried(self, run_id: int) -> bool:
        """Whether a key the run summarized had been tried before it."""
        found = self._reader.execute(
            "SELECT 1 FROM articles a WHERE a.run_id = ? AND a.attempts > 1 LIMIT 1", (run_id,)
        ).fetchone()
        return found is not None

    def failures(self, run_id: int | None, *, examples: int) -> list[FailureType]:
        """The failed keys in scope by error type, most frequent first, with the first
        ``examples`` to have failed."""
        scope, args = _in_scope(run_id)
        db = self._reader
        out: list[FailureType] = []
        for error_type, count in db.execute(
            f"SELECT coalesce(a.error_type, '?'), count(*) FROM articles a "
            f"WHERE a.state = 'failed' AND {scope} GROUP BY 1 ORDER BY 2 DESC, 1",
            args,
        ).fetchall():
            found = db.execute(
                f"SELECT a.article_id, coalesce(a.error_message, '') FROM articles a "
                f"WHERE a.state = 'failed' AND {scope} AND coalesce(a.error_type, '?') = :etype "
                "ORDER BY a.finished_at LIMIT :examples",
                {**args, "etype": error_type, "examples": examples},
            ).fetchall()
            out.append(FailureType(error_type, count, [(str(i), str(m)) for i, m in found]))
        return out

    def usage_by_model(self, run_id: int | None) -> list[ModelTotals]:
        """The usage of the done and failed keys a run summarized (all: every key), per model.
        A store of version 1 has no Batch API share: all online."""
        batch = (
            "sum(a.batch_prompt_tokens), sum(a.batch_completion_tokens)"
            if self._version >= 2
            else "0, 0"
        )
        processed, args = _processed(run_id)
        return [
            ModelTotals(*found)
            for found in self._reader.execute(
                "SELECT a.model, count(*), sum(a.prompt_tokens), sum(a.completion_tokens), "
                f"sum(a.requests), sum(a.transport_retries), sum(a.reasks), {batch} "
                f"FROM articles a WHERE {processed} AND a.state IN ('done', 'failed') "
                "GROUP BY a.model ORDER BY a.model",
                args,
            ).fetchall()
        ]

    def seconds(self, run_id: int | None) -> list[float]:
        """The seconds of each done or failed key a run summarized (all: every key), sorted."""
        processed, args = _processed(run_id)
        return [
            float(s)
            for (s,) in self._reader.execute(
                f"SELECT a.seconds FROM articles a WHERE {processed} "
                "AND a.state IN ('done', 'failed') AND a.seconds IS NOT NULL ORDER BY a.seconds",
                args,
            )
        ]

    def done_results(self, run_id: int | None) -> Iterator[DoneResult]:
        """The done keys of a run's input in input order (all: every done key, newest first),
        streamed."""
        columns = "a.article_id, a.title, a.url, a.text_sha256, a.result"
        for found in self._reader.execute(*_articles_query(run_id, columns, done=True)):
            yield DoneResult(*found)

    def article_records(self, run_id: int | None) -> Iterator[ArticleRecord]:
        """Every key of a run's input in input order (all: every key, newest first), streamed;
        a store before version 3 has no text."""
        text = "a.text" if self._version >= 3 else "NULL"
        columns = (
            "a.article_id, a.source, a.state, a.title, a.url, a.error_type, a.error_message, "
            f"a.seconds, a.finished_at, a.result, a.text_sha256, {text}"
        )
        for found in self._reader.execute(*_articles_query(run_id, columns, done=False)):
            yield ArticleRecord(*found)


_RUNS = (
    "SELECT id, started_at, finished_at, model, prompt_version, counts, "
    "(SELECT max(a.finished_at) FROM articles a WHERE a.run_id = runs.id) FROM runs "
)


def _in_scope(run_id: int | None) -> tuple[str, dict[str, int]]:
    """Keys of a run's input (whichever run summarized them); every key for None."""
    if run_id is None:
        return "1", {}
    return "a.key IN (SELECT key FROM items WHERE run_id = :run)", {"run": run_id}


def _processed(run_id: int | None) -> tuple[str, dict[str, int]]:
    """Keys a run summarized itself; every key for None."""
    if run_id is None:
        return "1", {}
    return "a.run_id = :run", {"run": run_id}


def _articles_query(run_id: int | None, columns: str, *, done: bool) -> tuple[str, dict[str, int]]:
    """``columns`` of the keys of a run's input, one row per key in input order (the first
    item that has it); for None, of every key, newest first."""
    state = "WHERE a.state = 'done' " if done else ""
    if run_id is None:
        return f"SELECT {columns} FROM articles a {state}ORDER BY a.finished_at DESC", {}
    query = (
        f"SELECT {columns} FROM (SELECT key, min(seq) AS seq FROM items "
        f"WHERE run_id = :run GROUP BY key) i JOIN articles a ON a.key = i.key {state}"
        "ORDER BY i.seq"
    )
    return query, {"run": run_id}


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
        found = self._store._reader.execute(
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


# --- migrations -------------------------------------------------------------------------------
#
# In the style of simonw/llm's migrations.py: an ordered list of functions, each applied once,
# in order. The store's ``PRAGMA user_version`` is how many have been applied: a store of
# version ``v`` gets every migration after the ``v``-th, each in one transaction with the
# version it reaches (a migration that fails leaves the store as it was). A new store is made
# by running them all, so a new store and an upgraded one have the same tables. Never edit a
# migration a release has run: add one.

_Migration = Callable[[sqlite3.Connection], None]
_MIGRATIONS: list[_Migration] = []


def _migration(fn: _Migration) -> _Migration:
    _MIGRATIONS.append(fn)
    return fn


@_migration
def _m001_articles_runs_items(db: sqlite3.Connection) -> None:
    """Version 1: each run key's state and usage, the runs, and the items each run saw."""
    db.execute(
        """
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
            started_at REAL,
            finished_at REAL,
            run_id INTEGER
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS articles_state ON articles (state)")
    db.execute("CREATE INDEX IF NOT EXISTS articles_run ON articles (run_id)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY,
            started_at REAL NOT NULL,
            finished_at REAL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            schema_hash TEXT NOT NULL,
            settings TEXT NOT NULL,
            counts TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS items (
            run_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            article_id TEXT NOT NULL,
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        )
        """
    )


@_migration
def _m002_batch_api(db: sqlite3.Connection) -> None:
    """Version 2: the OpenAI Batch API's requests and submissions (``IF NOT EXISTS``: the
    release that brought the Batch API backend made them in stores it left at version 1), and
    the tokens it answered, priced at its discount."""
    db.execute(
        """
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
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS api_requests_state ON api_requests (state, submission)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS api_submissions (
            id INTEGER PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('preparing', 'uploaded', 'created', 'finished')),
            requests INTEGER NOT NULL,
            file_id TEXT,
            batch_id TEXT,
            status TEXT,
            created_at REAL NOT NULL,
            finished_at REAL
        )
        """
    )
    db.execute("ALTER TABLE articles ADD COLUMN batch_prompt_tokens INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE articles ADD COLUMN batch_completion_tokens INTEGER NOT NULL DEFAULT 0")


@_migration
def _m003_text(db: sqlite3.Connection) -> None:
    """Version 3: the article text the summary's offsets point into (NULL for older rows)."""
    db.execute("ALTER TABLE articles ADD COLUMN text TEXT")


@_migration
def _m004_answers(db: sqlite3.Connection) -> None:
    """Version 4: the answer cache, every model answer received, by request key."""
    db.execute(
        """
        CREATE TABLE answers (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            response TEXT NOT NULL,
            run_id INTEGER,
            created_at REAL NOT NULL
        )
        """
    )


assert len(_MIGRATIONS) == SCHEMA_VERSION


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a store of ``version`` up to this one, in place (it keeps its data)."""
    for number, migration in enumerate(_MIGRATIONS[version:], version + 1):
        # An explicit BEGIN: without it sqlite3 would run the DDL outside any transaction.
        with db:
            db.execute("BEGIN IMMEDIATE")
            migration(db)
            db.execute(f"PRAGMA user_version={number}")


def _connect_readonly(path: Path, scratch: list[Path]) -> tuple[sqlite3.Connection, int]:
    """A read-only connection to the store at ``path``, wherever it lies, and its version.

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
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"{path} cannot be read as a batch store ({exc})") from exc
    if app_id != APPLICATION_ID:
        db.close()
        raise StoreError(f"{path} is not a summarizer batch store (application_id {app_id:#x})")
    return db, version


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
