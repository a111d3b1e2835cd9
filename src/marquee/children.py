"""Child processes that end with the process that started them, however it ends.

A worker's FFmpeg and `marquee demo`'s worker would otherwise outlive a parent killed by a
signal (kill -9 included): an encoder burning a core for nobody, a worker still taking
jobs beside a stopped site. Linux's parent-death signal ends them instead.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up before any fork (the child may not import or allocate)."""
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> Callable[[], None]:
    """A `preexec_fn` for `subprocess.Popen`: the child is SIGKILLed when this process dies.

    Made in the parent (its pid and prctl looked up there); it runs in the child between
    fork and exec, where it may only call what is already loaded.
    """
    parent, prctl = os.getpid(), _prctl()

    def setup() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return setup
