import pytest

from marquee.errors import BadRequest
from marquee.pagination import PageParams, decode_cursor, encode_cursor, make_page


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(40)) == 40
    assert decode_cursor(None) == 0


@pytest.mark.parametrize(
    "cursor", ["!!!", "eyJ4IjogMX0", encode_cursor(0)[:-2] + "zz", "eyJvIjogLTF9"]
)
def test_foreign_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor)


def test_make_page_sets_next_cursor_only_when_more_remain() -> None:
    page = make_page([1, 2], total=5, params=PageParams(offset=0, limit=2))
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == 2
    last = make_page([5], total=5, params=PageParams(offset=4, limit=2))
    assert last.next_cursor is None
