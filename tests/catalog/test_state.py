"""The publish lifecycle, tested as a pure function with no database."""

from __future__ import annotations

import pytest

from marquee.catalog.models import PublishState as S
from marquee.catalog.state import InvalidTransition, allowed_events, next_state
from marquee.catalog.state import TitleEvent as E


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (S.DRAFT, E.UPLOAD_STARTED, S.PROCESSING),
        (S.DRAFT, E.PUBLISH, S.PUBLISHED),
        (S.PROCESSING, E.PROCESSING_SUCCEEDED, S.PUBLISHED),
        (S.PROCESSING, E.PROCESSING_FAILED, S.DRAFT),
        (S.PUBLISHED, E.UNPUBLISH, S.UNPUBLISHED),
        (S.PUBLISHED, E.UPLOAD_STARTED, S.PUBLISHED),
        (S.PUBLISHED, E.PROCESSING_SUCCEEDED, S.PUBLISHED),
        (S.UNPUBLISHED, E.PUBLISH, S.PUBLISHED),
        (S.UNPUBLISHED, E.UPLOAD_STARTED, S.PROCESSING),
    ],
)
def test_valid_transitions(state: S, event: E, expected: S) -> None:
    assert next_state(state, event) is expected


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.DRAFT, E.UNPUBLISH),
        (S.DRAFT, E.PROCESSING_SUCCEEDED),
        (S.DRAFT, E.PROCESSING_FAILED),
        (S.PROCESSING, E.PUBLISH),
        (S.PROCESSING, E.UNPUBLISH),
        (S.PUBLISHED, E.PUBLISH),
        (S.UNPUBLISHED, E.UNPUBLISH),
        (S.UNPUBLISHED, E.PROCESSING_SUCCEEDED),
    ],
)
def test_invalid_transitions_raise_with_a_stable_code(state: S, event: E) -> None:
    with pytest.raises(InvalidTransition) as info:
        next_state(state, event)
    assert info.value.code == "invalid_state_transition"
    assert info.value.status == 422
    assert info.value.extra == {"state": state.value, "event": event.value}


def test_plain_strings_are_accepted_and_unknown_events_rejected() -> None:
    assert next_state(S("draft"), E("publish")) is S.PUBLISHED
    with pytest.raises(InvalidTransition):
        next_state(S.DRAFT, "explode")  # type: ignore[arg-type]


def test_every_state_is_reachable_and_can_be_left() -> None:
    reachable = {S.DRAFT}
    frontier = [S.DRAFT]
    while frontier:
        state = frontier.pop()
        for event in allowed_events(state):
            target = next_state(state, event)
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(S)
    assert all(allowed_events(state) for state in S)
