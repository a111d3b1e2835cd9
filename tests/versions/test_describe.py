"""The one constructor: a real pipeline result becomes a typed description, then a version row."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy.orm import Session

from marquee.media.encode import EncodeOptions
from marquee.media.encrypt import Protection
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.storage import keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion
from marquee.versions.schemas import Artwork, ArtworkFiles, Description
from tests.catalog.factories import make_title
from tests.media import sources as media
from tests.versions.encoded import holding, ntsc_result, segment_starts

__all__ = ["ntsc_result"]


def test_the_description_records_the_period_the_encoder_really_cut(
    ntsc_result: PipelineResult,
) -> None:
    description = versions.describe(ntsc_result)
    starts = segment_starts(ntsc_result)
    # A 4 s target snapped to whole frames at 30000/1001 fps: 120 frames, 4.004 s.
    assert description.segment_seconds == pytest.approx(4.004, abs=1e-12)
    assert len(starts) >= 3
    for n, start in enumerate(starts):
        assert start == pytest.approx(n * description.segment_seconds, abs=1e-6)
    for track in ntsc_result.encoded.video:  # every rendition cuts at the same instants
        assert [s.start for s in track.segments] == starts


def test_the_description_keeps_the_packagers_figures(ntsc_result: PipelineResult) -> None:
    description = versions.describe(ntsc_result)
    packaged = {r.name: r for r in ntsc_result.package.video}
    assert [r.name for r in description.renditions] == list(packaged)
    for rendition in description.renditions:
        info = packaged[rendition.name]
        assert (rendition.height, rendition.bandwidth, rendition.codecs) == (
            info.height,
            info.bandwidth,
            info.codecs,
        )
        assert rendition.frame_rate == pytest.approx(30000 / 1001)
        assert rendition.kid is None
    assert [a.language for a in description.audio_tracks] == ["en"]
    assert description.duration_seconds == pytest.approx(10.0, abs=0.1)
    assert description.artwork is None  # this clip was packaged without artwork


@pytest.fixture(scope="module")
def short_encrypted(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    """5 s at 25 fps cut every 2 s, CENC-encrypted: another period, another frame rate."""
    work = tmp_path_factory.mktemp("short")
    clip = media.make_clip(work / "clip.mp4", size="426x240", seconds=5)
    protection = Protection(kid=uuid.uuid4(), key=os.urandom(16))
    encode = EncodeOptions(preset="superfast", segment_seconds=2.0, protection=protection)
    return run_pipeline(clip, work, options=PipelineOptions(encode=encode, with_artwork=False))


def test_any_segment_length_is_recorded_as_cut(short_encrypted: PipelineResult) -> None:
    description = versions.describe(short_encrypted)
    starts = segment_starts(short_encrypted)
    assert description.segment_seconds == 2.0
    assert starts == pytest.approx([0.0, 2.0, 4.0], abs=1e-6)


def test_an_encrypted_package_names_its_key_id_on_every_track(
    short_encrypted: PipelineResult,
) -> None:
    protection = short_encrypted.encoded.protection
    assert protection is not None
    description = versions.describe(short_encrypted)
    tracks = (*description.renditions, *description.audio_tracks)
    assert {t.kid for t in tracks} == {protection.kid}


def test_a_description_survives_its_json_form(ntsc_result: PipelineResult) -> None:
    description = versions.describe(ntsc_result)
    assert Description.model_validate_json(description.model_dump_json()) == description


def test_a_version_is_made_from_a_description_and_publishes(
    db: Session, ntsc_result: PipelineResult
) -> None:
    title = make_title(db)
    version_id = uuid.uuid4()
    art = ArtworkFiles(poster="poster.jpg", thumbnails=("thumb-01.jpg",), trickplay="t.vtt")
    description = versions.describe(ntsc_result).model_copy(update={"artwork": art})
    target = versions.Target(title.id)
    version = versions.make_version(version_id=version_id, target=target, description=description)
    assert version.prefix == keys.version_prefix(version_id)
    assert version.artwork == Artwork(
        poster=keys.version_file(version_id, "artwork/poster.jpg"),
        thumbnails=(keys.version_file(version_id, "artwork/thumb-01.jpg"),),
        trickplay=keys.version_file(version_id, "artwork/t.vtt"),
    )
    assert versions.publish_version(session=db, version=version, target=target) is None
    db.expire_all()
    stored = db.get(MediaVersion, version_id)
    assert stored is not None
    assert title.current_version_id == version_id
    assert title.poster == f"/artwork/{version_id}/poster.jpg"
    assert stored.segment_seconds == description.segment_seconds
    assert stored.renditions == description.renditions


def test_a_shared_encoding_leaves_the_titles_pictures_alone(
    db: Session, ntsc_result: PipelineResult
) -> None:
    title = make_title(db)
    art = ArtworkFiles(poster="poster.jpg", trickplay="t.vtt")
    description = versions.describe(ntsc_result).model_copy(update={"artwork": art})
    target = versions.Target(title.id)
    version = versions.make_version(version_id=uuid.uuid4(), target=target, description=description)
    versions.publish_version(session=db, version=version, target=target, adopt_artwork=False)
    assert title.current_version_id == version.id
    assert title.poster is None


def test_the_segment_index_follows_the_real_timeline(
    db: Session, ntsc_result: PipelineResult
) -> None:
    title = make_title(db)
    version = versions.make_version(
        version_id=uuid.uuid4(),
        target=versions.Target(title.id),
        description=versions.describe(ntsc_result),
    )
    starts = segment_starts(ntsc_result)
    # Just before, on and after the boundaries a fixed 4 s period misplaces.
    positions = [0.0, 3.999, 4.0, 4.003, 4.004, 4.0041, 8.0, 8.007, 8.008, 9.9]
    for position in positions:
        assert versions.segment_index(version, position) == holding(starts, position), position
    assert versions.segment_index(version, 3 * 4.004) == 2  # 12.012 is past the end: last
    assert versions.segment_index(version, 1e9) == len(starts) - 1
    assert versions.segment_index(version, -1.0) == 0
