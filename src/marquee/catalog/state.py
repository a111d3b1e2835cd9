"""The publish lifecycle of a title as a pure function: `next_state(state, event) -> state`.

    draft ──upload_started──▶ processing ──processing_succeeded──▶ published
      │  ◀──processing_failed──┘                                   │  ▲
      └──────────────publish──────────────────────▶ published      │  │
                                                  unpublish ───────┘  │ publish
                                                      ▼               │
                                                 unpublished ─────────┘

A published title stays published while a new media version is processed, so
ingest events on a published title leave it where it is; that also makes
re-running an ingest handler harmless.
"""

from __future__ import annotations

import enum

from marquee.catalog.errors import InvalidTransition
from marquee.catalog.models import PublishState


class TitleEvent(enum.StrEnum):
    UPLOAD_STARTED = "upload_started"
    PROCESSING_SUCCEEDED = "processing_succeeded"
    PROCESSING_FAILED = "processing_failed"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


_S, _E = PublishState, TitleEvent

TRANSITIONS: dict[tuple[PublishState, TitleEvent], PublishState] = {
    (_S.DRAFT, _E.UPLOAD_STARTED): _S.PROCESSING,
    (_S.DRAFT, _E.PUBLISH): _S.PUBLISHED,
    (_S.PROCESSING, _E.PROCESSING_SUCCEEDED): _S.PUBLISHED,
    (_S.PROCESSING, _E.PROCESSING_FAILED): _S.DRAFT,
    (_S.PROCESSING, _E.UPLOAD_STARTED): _S.PROCESSING,
    (_S.PUBLISHED, _E.UNPUBLISH): _S.UNPUBLISHED,
    (_S.PUBLISHED, _E.UPLOAD_STARTED): _S.PUBLISHED,
    (_S.PUBLISHED, _E.PROCESSING_SUCCEEDED): _S.PUBLISHED,
    (_S.PUBLISHED, _E.PROCESSING_FAILED): _S.PUBLISHED,
    (_S.UNPUBLISHED, _E.PUBLISH): _S.PUBLISHED,
    (_S.UNPUBLISHED, _E.UPLOAD_STARTED): _S.PROCESSING,
}


def next_state(state: PublishState, event: TitleEvent) -> PublishState:
    """The state after `event`; an event that does not apply raises `InvalidTransition`."""
    try:
        return TRANSITIONS[(PublishState(state), TitleEvent(event))]
    except (KeyError, ValueError):
        raise InvalidTransition(
            f"A {state} title cannot take the event {event!r}.",
            state=str(state),
            event=str(event),
        ) from None


def allowed_events(state: PublishState) -> list[TitleEvent]:
    """The events a title in `state` accepts, in declaration order."""
    return [event for (source, event) in TRANSITIONS if source == state]
