"""Object keys: the layout functions and the traversal checks."""

from __future__ import annotations

import uuid

import pytest

from marquee.storage import keys
from marquee.storage.errors import InvalidKey
from marquee.storage.keys import safe_key, safe_prefix

VERSION = uuid.UUID("00000000-0000-0000-0000-000000000001")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/etc/passwd",
        "../secret",
        "a/../../b",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "a\x00b",
        "a\nb",
        ".hidden",
        "a/.parts/x",
        "x" * 1025,
    ],
)
def test_safe_key_rejects_keys_that_could_escape(bad: str) -> None:
    with pytest.raises(InvalidKey):
        safe_key(bad)


def test_safe_key_accepts_nested_relative_keys() -> None:
    assert safe_key("versions/abc/720p/seg-00001.m4s") == "versions/abc/720p/seg-00001.m4s"
    assert safe_prefix("versions/abc/") == "versions/abc/"
    with pytest.raises(InvalidKey):
        safe_prefix("")
    with pytest.raises(InvalidKey):
        safe_prefix("/")


def test_layout_functions_give_keys_under_the_version_prefix() -> None:
    prefix = keys.version_prefix(VERSION)
    made = [
        keys.master(VERSION),
        keys.manifest_hls(VERSION),
        keys.manifest_dash(VERSION),
        keys.rendition_playlist(VERSION, "720p"),
        keys.rendition_init(VERSION, "720p"),
        keys.rendition_segment(VERSION, "720p", 12),
        keys.subtitle(VERSION, "fr-forced"),
        keys.trickplay_sheet(VERSION, 3),
        keys.trickplay_track(VERSION),
    ]
    for key in made:
        assert key.startswith(prefix)
        assert safe_key(key) == key
    assert keys.rendition_segment(VERSION, "720p", 12).endswith("/720p/seg-00012.m4s")
    assert keys.upload(VERSION).startswith(keys.upload_prefix(VERSION))
    assert keys.artwork(VERSION, "poster") == f"artwork/{VERSION}/poster.jpg"


@pytest.mark.parametrize("name", ["..", "../x", "a/b", "", ".x", "a b"])
def test_layout_functions_reject_names_with_path_tricks(name: str) -> None:
    with pytest.raises(InvalidKey):
        keys.rendition_segment(VERSION, name, 1)
    with pytest.raises(InvalidKey):
        keys.artwork(VERSION, name)


def test_negative_segment_numbers_are_refused() -> None:
    with pytest.raises(InvalidKey):
        keys.rendition_segment(VERSION, "720p", -1)
