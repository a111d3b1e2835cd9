"""How an idle worker learns that there may be work, without asking the queue many times a second.

An idle worker used to run its claim query every 0.2 s (search re-indexing must land within
2 s), at every worker, all day. Now it waits on a signal that the database gives cheaply
and asks the queue when the signal fires, or once per `job_poll_seconds` for what no signal
announces (a retry whose backoff has passed, a lapsed lease):

- PostgreSQL: `enqueue` (and a retry or hand-back) sends `NOTIFY marquee_jobs` in the job's
  own transaction, which PostgreSQL delivers when it commits; the worker `LISTEN`s on a
  connection of its own.
- SQLite: `PRAGMA data_version` on a connection of the worker's own changes whenever another
  connection commits; reading it touches no table, so it is checked every 50 ms.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

CHANNEL = "marquee_jobs"
# How often the SQLite signal is read, and the longest a PostgreSQL wait blocks before it
# looks at the stop flag (a SIGTERM sets it from the same thread, between two waits).
SQLITE_CHECK_SECONDS = 0.05
LISTEN_SLICE_SECONDS = 0.25


def announce(session: Session, kind: str) -> None:
    """Tell listening workers, on commit, that a job of `kind` is due (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        notify = text("SELECT pg_notify(:channel, :kind)")
        session.execute(notify, {"channel": CHANNEL, "kind": kind})


class Wakeup(Protocol):
    def wait(self, seconds: float, stopping: threading.Event) -> bool:
        """Block up to `seconds`; True as soon as there may be new work, False on time-out
        or once `stopping` is set."""
        ...

    def close(self) -> None: ...


class Sleep:
    """No signal (an in-memory database): wait out the interval."""

    def wait(self, seconds: float, stopping: threading.Event) -> bool:
        stopping.wait(seconds)
        return False

    def close(self) -> None:
        pass


class PostgresListen:
    """A connection of its own that LISTENs; made again after the database was away."""

    def __init__(self, engine: Engine) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        # Listening before the first claim, so that no commit falls between the two; a
        # database away at start is listened to at the first wait instead.
        with contextlib.suppress(Exception):
            self._listen()

    def _listen(self) -> Any:
        import psycopg  # only PostgreSQL deployments pay for it

        if self._conn is None:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
            self._conn.execute(f"LISTEN {CHANNEL}")
        return self._conn

    def wait(self, seconds: float, stopping: threading.Event) -> bool:
        deadline = time.monotonic() + seconds
        try:
            conn = self._listen()
            while not stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if list(conn.notifies(timeout=min(left, LISTEN_SLICE_SECONDS), stop_after=1)):
                    # Drain what else arrived: one claim round serves them all.
                    list(conn.notifies(timeout=0))
                    return True
            return False
        except Exception:
            self.close()  # listened again at the next wait; the caller polls meanwhile
            raise

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                conn.close()


class SqliteDataVersion:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
        try:
            self._seen = self._version()
        except sqlite3.Error:
            self._seen = -1  # unknown: the first wait reads it and has the queue asked

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, seconds: float, stopping: threading.Event) -> bool:
        deadline = time.monotonic() + seconds
        while not stopping.wait(min(SQLITE_CHECK_SECONDS, max(0.0, deadline - time.monotonic()))):
            version = self._version()
            if version != self._seen:
                self._seen = version
                return True
            if time.monotonic() >= deadline:
                return False
        return False

    def close(self) -> None:
        self._conn.close()


def make_wakeup(engine: Engine) -> Wakeup:
    if engine.dialect.name == "postgresql":
        return PostgresListen(engine)
    path = engine.url.database
    if engine.dialect.name == "sqlite" and path and path != ":memory:":
        return SqliteDataVersion(path)
    return Sleep()
