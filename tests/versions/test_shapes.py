"""The typed shapes of a version row: what they accept, how they round-trip, how old rows load."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy.orm import Session

from marquee.db import UTCDateTime, make_engine, make_sessionmaker, transaction, utcnow
from marquee.migrate import alembic_config
from marquee.storage import keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion
from marquee.versions.schemas import (
    Artwork,
    AudioTrack,
    Description,
    MediaVersionRead,
    Rendition,
    SubtitleTrack,
)
from tests.catalog.factories import make_title

SEGMENT_PERIOD_REVISION = "7c4e2a91b5d3"
KID = uuid.UUID("5b1f3d8e-2c4a-4e6f-9a1b-3c5d7e9f0a2b")


def _row(title_id: uuid.UUID, **columns: Any) -> MediaVersion:
    version_id = uuid.uuid4()
    fields: dict[str, Any] = {
        "duration_seconds": 30.0,
        "segment_seconds": 4.004,
        "renditions": (Rendition(name="360p", width=640, height=360, codecs="avc1.64001e"),),
        **columns,
    }
    return MediaVersion(
        id=version_id,
        title_id=title_id,
        prefix=keys.version_prefix(version_id),
        hls_master=keys.manifest_hls(version_id),
        dash_manifest=keys.manifest_dash(version_id),
        **fields,
    )


def test_a_rendition_names_its_codec_families() -> None:
    rendition = Rendition(name="1080p", codecs="avc1.640028, mp4a.40.2")
    assert rendition.codec_families() == {"avc1", "mp4a"}
    assert Rendition(name="x").codec_families() == frozenset()


def test_track_languages_load_as_the_shortest_bcp_47_tag() -> None:
    # Rows written before normalisation hold the master's ISO 639-2 ("eng", "fre").
    assert AudioTrack(name="a", language="eng").language == "en"
    assert AudioTrack(name="a", language="fre").language == "fr"
    assert SubtitleTrack(name="s", language="pt-br").language == "pt-BR"
    assert SubtitleTrack(name="s").language == "und"


def test_shapes_are_frozen_and_checked() -> None:
    rendition = Rendition(name="240p", height=240)
    with pytest.raises(ValidationError):
        rendition.height = 480  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Rendition.model_validate({"name": "240p", "height": "tall"})
    with pytest.raises(ValidationError):
        Description(duration_seconds=10.0, segment_seconds=0.0, renditions=())


def test_public_artwork_is_the_poster_and_the_thumbnails() -> None:
    art = Artwork(poster="p.jpg", thumbnails=("t1.jpg",), sprites=("s.jpg",), trickplay="t.vtt")
    assert art.public_keys == {"p.jpg", "t1.jpg"}
    assert Artwork().public_keys == frozenset()


def test_a_version_row_round_trips_its_shapes(db: Session) -> None:
    title = make_title(db)
    version = _row(
        title.id,
        renditions=(Rendition(name="720p", width=1280, height=720, frame_rate=29.97, kid=KID),),
        audio_tracks=(AudioTrack(name="audio_fr", language="fr", codecs="mp4a.40.2", kid=KID),),
        subtitle_tracks=(SubtitleTrack(name="English (SDH)", language="en", sdh=True),),
        artwork=Artwork(poster="versions/x/artwork/poster.jpg", thumbnails=("a.jpg", "b.jpg")),
    )
    db.add(version)
    db.flush()
    db.expire(version)
    loaded = db.get(MediaVersion, version.id)
    assert loaded is not None
    assert loaded.renditions == (
        Rendition(name="720p", width=1280, height=720, frame_rate=29.97, kid=KID),
    )
    assert loaded.audio_tracks[0].language == "fr"
    assert loaded.subtitle_tracks[0].sdh is True
    assert loaded.artwork.thumbnails == ("a.jpg", "b.jpg")
    assert loaded.segment_seconds == 4.004
    assert loaded.kid == KID


def test_plain_json_assigned_to_a_row_is_held_as_shapes(db: Session) -> None:
    title = make_title(db)
    version = _row(title.id, renditions=[{"name": "240p", "height": 240, "kid": str(KID)}])
    assert version.renditions == (Rendition(name="240p", height=240, kid=KID),)
    with pytest.raises(ValidationError):
        version.artwork = {"poster": 12}  # type: ignore[assignment]


def test_the_read_model_shows_the_typed_tables(db: Session) -> None:
    title = make_title(db)
    version = _row(title.id)
    db.add(version)
    db.flush()
    read = MediaVersionRead.model_validate(version).model_dump(mode="json")
    assert read["segment_seconds"] == 4.004
    assert read["renditions"][0]["height"] == 360
    assert read["artwork"] == {"poster": None, "thumbnails": [], "sprites": [], "trickplay": None}


# Rows as the packager wrote them before the shapes existed: plain dicts, a string KID,
# no segment period, and an artwork table without sprites.
JSON_COLUMNS = ("renditions", "audio_tracks", "subtitle_tracks", "artwork")
OLD_RENDITIONS = [
    {
        "name": "240p",
        "width": 426,
        "height": 240,
        "bandwidth": 400_000,
        "average_bandwidth": 300_000,
        "codecs": "avc1.640015",
        "frame_rate": 30000 / 1001,
        "kid": str(KID),
    },
    {"name": "720p", "width": 1280, "height": 720, "codecs": "avc1.64001f", "frame_rate": 29.97},
]


# The columns of `media_versions` before the segment period, as plain SQL types.
OLD_TABLE = sa.table(
    "media_versions",
    sa.column("id", sa.Uuid()),
    sa.column("title_id", sa.Uuid()),
    sa.column("state", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("duration_seconds", sa.Double()),
    *(sa.column(name, sa.JSON()) for name in JSON_COLUMNS),
    *(sa.column(name, sa.String()) for name in ("prefix", "hls_master", "dash_manifest")),
)


def _insert_old_row(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A title and a version row written by the schema before the segment period existed."""
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            title_id = make_title(session).id
        version_id = uuid.uuid4()
        table = OLD_TABLE
        with engine.begin() as conn:
            conn.execute(
                sa.insert(table).values(
                    id=version_id,
                    title_id=title_id,
                    state="ready",
                    created_at=utcnow(),
                    duration_seconds=7300.0,
                    renditions=OLD_RENDITIONS,
                    audio_tracks=[{"name": "audio_und", "language": "und", "kid": str(KID)}],
                    subtitle_tracks=[],
                    prefix=keys.version_prefix(version_id),
                    hls_master=keys.manifest_hls(version_id),
                    dash_manifest=keys.manifest_dash(version_id),
                    artwork={"poster": "p.jpg", "thumbnails": ["t.jpg"], "trickplay": "t.vtt"},
                )
            )
    finally:
        engine.dispose()
    return title_id, version_id


def test_rows_written_before_the_segment_period_load_with_their_real_period(
    fresh_url: str, tmp_path: Path
) -> None:
    config = alembic_config(fresh_url)
    before = ScriptDirectory.from_config(config).get_revision(SEGMENT_PERIOD_REVISION)
    assert before is not None
    assert isinstance(before.down_revision, str)
    command.upgrade(config, before.down_revision)
    title_id, version_id = _insert_old_row(fresh_url)
    command.upgrade(config, "head")
    engine = make_engine(fresh_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            version = session.get(MediaVersion, version_id)
            assert version is not None
            assert version.title_id == title_id
            # 4 s snapped to whole frames of 30000/1001 fps: 120 frames.
            assert version.segment_seconds == pytest.approx(4.004, abs=1e-12)
            assert [r.height for r in version.renditions] == [240, 720]
            assert version.renditions[1].bandwidth == 0  # missing then, defaulted now
            assert version.kid == KID
            assert version.artwork == Artwork(
                poster="p.jpg", thumbnails=("t.jpg",), trickplay="t.vtt"
            )
            assert versions.segment_index(version, 7200.0) == 1798
    finally:
        engine.dispose()
