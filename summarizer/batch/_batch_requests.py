"""The OpenAI Batch API's tables in the batch store, and every statement on them.

``api_requests`` holds every model request of the Batch API backend by its ``custom_id``:

* ``queued``: waiting for a batch (``submission`` is the one it is being put in, else NULL);
* ``submitted``: in a batch (``tries`` counts the batches it was put in);
* ``answered`` (status 200) or ``failed`` (a final 4xx): ``response`` holds the answer;
* ``online``: the batches failed it too often; it is sent online.

``api_submissions`` holds every file/batch submitted: ``preparing`` (recorded, its requests
chosen), ``uploaded`` (``file_id``), ``created`` (``batch_id``), ``finished``. Each step is
committed before the next one starts, so a run killed at any point resumes without sending
twice (see :mod:`summarizer.batch._openai_batch`). The tables are made by the store's
migrations (:mod:`summarizer.batch._store`); this module is given the store's reading
connection and its writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ApiRequest", "BatchRequests", "Submission"]


class _Write(Protocol):
    def __call__(self, sql: str, args: Any = ..., *, many: bool = ...) -> Future[int]: ...


@dataclass(frozen=True)
class ApiRequest:
    """Where one request is: its state, and the answer's HTTP status and body once it has one."""

    state: str
    status: int | None
    response: str | None


@dataclass(frozen=True)
class Submission:
    """One file/batch submitted, as far as it went."""

    id: int
    state: str
    file_id: str | None


class BatchRequests:
    """The requests and submissions of the Batch API backend in one store.

    Reads are on the store's reading connection; each write goes through its writer thread
    and the async methods return once it is committed."""

    def __init__(self, read: Callable[[], sqlite3.Connection], write: _Write) -> None:
        self._read, self._write = read, write

    @property
    def _db(self) -> sqlite3.Connection:
        return self._read()

    async def _commit(self, sql: str, args: Any = (), *, many: bool = False) -> int:
        return await asyncio.wrap_future(self._write(sql, args, many=many))

    # -- requests ---------------------------------------------------------------------------

    def request(self, custom_id: str) -> ApiRequest | None:
        found = self._db.execute(
            "SELECT state, status, response FROM api_requests WHERE custom_id = ?", (custom_id,)
        ).fetchone()
        return None if found is None else ApiRequest(*found)

    async def queue(self, custom_id: str, body: str) -> None:
        """Queue a request for the next batch (a request already known is left as it is)."""
        await self._commit(
            "INSERT OR IGNORE INTO api_requests (custom_id, body, state, created_at) "
            "VALUES (?, ?, 'queued', ?)",
            (custom_id, body, time.time()),
        )

    def queued(self) -> list[tuple[str, str]]:
        """(custom_id, body) of the queued requests no submission has taken, oldest first."""
        found: list[tuple[str, str]] = self._db.execute(
            "SELECT custom_id, body FROM api_requests "
            "WHERE state = 'queued' AND submission IS NULL ORDER BY created_at"
        ).fetchall()
        return found

    async def record_answers(
        self,
        *,
        answered: list[tuple[str, str]],
        failed: list[tuple[int, str, str]],
        retry: list[tuple[str, str]],
        max_tries: int,
    ) -> None:
        """Record a batch's answers: ``answered`` (body, custom_id) with status 200, ``failed``
        (status, body, custom_id) final, ``retry`` (error body, custom_id) queued again, or
        sent online once they have been in ``max_tries`` batches."""
        await self._commit(
            "UPDATE api_requests SET state = 'answered', status = 200, response = ?, "
            "submission = NULL WHERE custom_id = ?",
            answered,
            many=True,
        )
        await self._commit(
            "UPDATE api_requests SET state = 'failed', status = ?, response = ?, "
            "submission = NULL WHERE custom_id = ?",
            failed,
            many=True,
        )
        await self._commit(
            "UPDATE api_requests SET state = CASE WHEN tries >= ? THEN 'online' ELSE 'queued' "
            "END, status = 503, response = ?, submission = NULL WHERE custom_id = ?",
            [(max_tries, body, cid) for body, cid in retry],
            many=True,
        )

    # -- submissions ------------------------------------------------------------------------

    def unfinished(self) -> int:
        """How many submissions are not finished (their batch may still answer)."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM api_submissions WHERE state != 'finished'"
        ).fetchone()
        return int(count)

    def interrupted(self) -> list[Submission]:
        """The submissions a crash left before their batch was created."""
        return [
            Submission(*found)
            for found in self._db.execute(
                "SELECT id, state, file_id FROM api_submissions "
                "WHERE state IN ('preparing', 'uploaded')"
            ).fetchall()
        ]

    async def prepare(self, custom_ids: list[str]) -> int:
        """Record a new submission of these queued requests; its id."""
        submission = await self._commit(
            "INSERT INTO api_submissions (state, requests, created_at) VALUES ('preparing', ?, ?)",
            (len(custom_ids), time.time()),
        )
        await self._commit(
            "UPDATE api_requests SET submission = ? WHERE custom_id = ?",
            [(submission, cid) for cid in custom_ids],
            many=True,
        )
        return submission

    def bodies(self, submission: int) -> list[tuple[str, str]]:
        """(custom_id, body) of a submission's requests, oldest first."""
        found: list[tuple[str, str]] = self._db.execute(
            "SELECT custom_id, body FROM api_requests WHERE submission = ? ORDER BY created_at",
            (submission,),
        ).fetchall()
        return found

    async def uploaded(self, submission: int, file_id: str) -> None:
        await self._commit(
            "UPDATE api_submissions SET state = 'uploaded', file_id = ? WHERE id = ?",
            (file_id, submission),
        )

    async def created(self, submission: int, batch_id: str, status: str) -> None:
        """The submission's batch exists: its requests are submitted (one more try each)."""
        await self._commit(
            "UPDATE api_submissions SET state = 'created', batch_id = ?, status = ? WHERE id = ?",
            (batch_id, status, submission),
        )
        await self._commit(
            "UPDATE api_requests SET state = 'submitted', tries = tries + 1 WHERE submission = ?",
            (submission,),
        )

    def size(self, submission: int) -> int:
        """How many requests a submission holds."""
        (requests,) = self._db.execute(
            "SELECT requests FROM api_submissions WHERE id = ?", (submission,)
        ).fetchone()
        return int(requests)

    def running(self) -> list[tuple[int, str]]:
        """(submission, batch_id) of every batch created and not finished."""
        found: list[tuple[int, str]] = self._db.execute(
            "SELECT id, batch_id FROM api_submissions WHERE state = 'created'"
        ).fetchall()
        return found

    async def status(self, submission: int, status: str) -> None:
        """The provider's status of a batch still running."""
        await self._commit(
            "UPDATE api_submissions SET status = ? WHERE id = ?", (status, submission)
        )

    async def finished(
        self, submission: int, status: str, *, error_body: str, max_tries: int
    ) -> None:
        """A batch ended (``status``): its requests it did not answer are queued again with
        ``error_body`` (sent online once they have been in ``max_tries`` batches)."""
        await self._commit(
            "UPDATE api_requests SET state = CASE WHEN tries >= ? THEN 'online' "
            "ELSE 'queued' END, submission = NULL, status = 503, response = ? "
            "WHERE submission = ? AND state = 'submitted'",
            (max_tries, error_body, submission),
        )
        await self._commit(
            "UPDATE api_submissions SET state = 'finished', status = ?, finished_at = ? "
            "WHERE id = ?",
            (status, time.time(), submission),
        )
