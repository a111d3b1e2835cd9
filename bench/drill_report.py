"""The drill's results: the table it prints per phase and the figures a test reads."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import drill_clients as clients

if TYPE_CHECKING:
    from drill import Drill


def report(drill: Drill, done: list[tuple[str, str]], lost: list[tuple[int, float, float]],
           uploads: list[clients.Upload], viewers: int) -> None:  # fmt: skip
    tally = drill.tally
    print(f"\nDrill: {viewers} viewers, {drill.args.api} APIs, {drill.args.workers} workers, "
          f"load {', '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    for note in drill.notes:
        print(f"  {note}")
    print("\n| phase | what was done | requests | viewer-visible errors by status |")
    print("|---|---|---:|---|")
    for phase, action in done:
        errors = tally.errors.get(phase, {})
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "0"
        print(f"| {phase} | {action} | {tally.requests[phase]} | {shown} |")
    print(f"\nsessions the server ended and the viewer started again: {tally.restarts}")
    print(f"heartbeat positions lost (stored < last acknowledged): {len(lost)} of "
          f"{len(tally.acked)} viewers with an acknowledged position")  # fmt: skip
    for n, acked, stored in lost[:10]:
        print(f"  viewer {n}: acknowledged {acked:.1f} s, stored {stored:.1f} s")
    print("\n| upload | bytes | lost bytes | stored whole | job | attempts | upload end -> done "
          "| chunks |")  # fmt: skip
    print("|---|---:|---:|---|---|---:|---:|---|")
    for u in uploads:
        took = f"{u.completed:.0f} s" if u.completed is not None else "-"
        print(f"| {u.name} | {u.path.stat().st_size} | {u.lost} | {u.stored_ok} | "
              f"{u.job_state}{' (' + u.error + ')' if u.error else ''} | {u.attempts} | "
              f"{took} | {u.chunks or '-'} |")  # fmt: skip


def summary(drill: Drill, done: list[tuple[str, str]], lost: list[tuple[int, float, float]],
            uploads: list[clients.Upload]) -> dict[str, Any]:  # fmt: skip
    """The table's figures, for a test (or a script) to read."""
    tally = drill.tally
    return {
        "phases": [
            {"phase": phase, "action": action, "requests": tally.requests[phase],
             "errors": dict(tally.errors.get(phase, {}))}
            for phase, action in done
        ],
        "acknowledged": len(tally.acked),
        "lost_positions": len(lost),
        "uploads": [
            {"name": u.name, "lost_bytes": u.lost, "stored_whole": u.stored_ok,
             "job": u.job_state, "attempts": u.attempts, "seconds": u.completed,
             "chunks": u.chunks, "error": u.error}
            for u in uploads
        ],
    }  # fmt: skip
