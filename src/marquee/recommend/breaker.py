"""A circuit breaker: after repeated failures or slow calls, stop asking for a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CircuitOpen(RuntimeError):
    """The breaker is open: callers should use their fallback."""


class CircuitBreaker:
    def __init__(
        self, *, budget_ms: float = 50.0, threshold: int = 3, reset_seconds: float = 30.0
    ) -> None:
        self.budget_ms = budget_ms
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return False
            if time.monotonic() - self._opened_at >= self.reset_seconds:
                self._opened_at = None  # half-open: let the next call try
                self._failures = self.threshold - 1
                return False
            return True

    def _record(self, ok: bool) -> None:
        with self._lock:
            self._failures = 0 if ok else self._failures + 1
            if self._failures >= self.threshold:
                self._opened_at = time.monotonic()

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn`; errors and over-budget answers count as failures.

        A slow answer that did arrive is still returned (the work is done; dropping it helps no
        one), but enough of them in a row open the circuit and callers use their fallback.
        """
        if self.is_open:
            raise CircuitOpen("recommendations are temporarily unavailable")
        started = time.perf_counter()
        try:
            result = fn()
        except Exception:
            self._record(False)
            raise
        self._record((time.perf_counter() - started) * 1000 <= self.budget_ms)
        return result
