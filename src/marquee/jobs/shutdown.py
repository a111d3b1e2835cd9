"""A stopping worker's hold on the external tools its job runs: find them, kill them."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import uuid


class ToolStopper(threading.Thread):
    """From the shutdown until the job's handler returns: kills the tools it runs, those it
    starts after the shutdown included, since each run's output would be thrown away."""

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(name=f"stopper-{job_id}", daemon=True)
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            for pid in own_session_children():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            if self.done.wait(0.1):
                return


def own_session_children() -> list[int]:
    """Live children of this process that lead a session of their own: the external tools
    handlers start that way (media.ffmpeg does), and nothing else this process started."""
    me = os.getpid()
    found = []
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return []
    for name in entries:
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                # After the command name in parentheses: state, ppid, pgrp, session, ...
                fields = stat.read().rsplit(b")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != b"Z" and int(fields[1]) == me and int(fields[3]) == int(name):
            found.append(int(name))
    return found
