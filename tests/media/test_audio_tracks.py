"""Audio-track sidecars become extra AAC renditions in the HLS audio group and the DASH MPD."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from marquee.media import audio_tracks
from marquee.media.audio_tracks import AudioInput
from marquee.media.encode import MPD_NS
from marquee.media.errors import MediaRejected
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from tests.ingest.test_tasks import make_worker, new_title, upload, versions_of
from tests.media import sources as media
from tests.media.fixtures import FAST
from tests.media.sources import ffmpeg_client
from tests.media.test_package import CLIENT_PROBE_NOISE
from tests.support import signup_with_role


def tone(path: Path, seconds: float, frequency: int = 660) -> Path:
    """An AAC tone in an M4A, as a dubbing studio would deliver a language track."""
    media.ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}",
        "-c:a", "aac", "-b:a", "96k", path,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 4 s master with English audio, a French track and a German one longer than it."""
    folder = tmp_path_factory.mktemp("audio-tracks")
    master = media.make_clip(folder / "master.mp4", size="480x270", seconds=4)
    return master, tone(folder / "fr.m4a", 4), tone(folder / "de.m4a", 9, frequency=880)


@pytest.fixture(scope="module")
def packaged(
    dubbed: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> PipelineResult:
    master, french, german = dubbed
    return run_pipeline(
        master,
        tmp_path_factory.mktemp("audio-out"),
        audio=[AudioInput(french, "fr"), AudioInput(german, "de")],
        options=PipelineOptions(encode=FAST, with_artwork=False),
    )


def test_sidecars_join_the_hls_audio_group_after_the_masters_track(
    packaged: PipelineResult,
) -> None:
    package = packaged.package
    assert [(a.language, a.codecs) for a in package.audio] == [
        ("en", "mp4a.40.2"),
        ("fr", "mp4a.40.2"),
        ("de", "mp4a.40.2"),
    ]
    media_lines = [line for line in package.master.read_text().splitlines() if "TYPE=AUDIO" in line]
    assert [('LANGUAGE="en"' in m, "DEFAULT=YES" in m) for m in media_lines[:1]] == [(True, True)]
    assert 'LANGUAGE="fr"' in media_lines[1]
    assert "DEFAULT=NO" in media_lines[1]
    assert 'LANGUAGE="de"' in media_lines[2]


def test_each_sidecar_is_its_own_dash_adaptation_set_with_its_language(
    packaged: PipelineResult,
) -> None:
    root = ET.parse(packaged.package.mpd).getroot()
    sets = [
        s for s in root.iterfind(".//mpd:AdaptationSet", MPD_NS) if s.get("contentType") == "audio"
    ]
    assert [s.get("lang") for s in sets] == ["en", "fr", "de"]


def test_a_player_decodes_each_language_and_a_long_dub_is_cut_to_the_programme(
    packaged: PipelineResult,
) -> None:
    package = packaged.package
    durations = [t.duration for t in packaged.encoded.audio]
    assert max(durations) <= package.duration + 0.5  # the 9 s German track stops at 4 s
    for index in range(3):
        _, errors = ffmpeg_client(package.master, "0:v:0", f"0:a:{index}")
        assert [e for e in errors if not CLIENT_PROBE_NOISE.match(e)] == []


def test_a_sidecar_that_is_not_audio_is_refused_before_encoding(
    dubbed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    master = dubbed[0]
    text = tmp_path / "notes.m4a"
    text.write_text("not a sound\n" * 100)
    with pytest.raises(MediaRejected) as caught:
        run_pipeline(master, tmp_path / "out", audio=[AudioInput(text, "fr")])
    assert caught.value.code == "audio_track_invalid"
    assert "notes.m4a" in caught.value.detail
    silent = media.make_clip(tmp_path / "silent.mp4", size="320x180", seconds=1, languages=())
    with pytest.raises(MediaRejected, match="no audio stream"):
        run_pipeline(master, tmp_path / "out", audio=[AudioInput(silent, "fr")])
    assert not (tmp_path / "out" / "package").exists()


@pytest.mark.parametrize("tag", ["english", "en-US-US"])
def test_a_sidecar_language_that_is_no_bcp_47_tag_is_refused(
    dubbed: tuple[Path, Path, Path], tag: str
) -> None:
    with pytest.raises(MediaRejected) as caught:
        audio_tracks.check(AudioInput(dubbed[1], tag))
    assert caught.value.code == "audio_track_invalid"


def test_an_uploaded_audio_track_reaches_the_published_version(
    client: TestClient, app: FastAPI, dubbed: tuple[Path, Path, Path]
) -> None:
    master, french, _ = dubbed
    editor = signup_with_role(client, app, Role.EDITOR)
    title_id = new_title(app)
    upload(client, editor, french.read_bytes(), title_id=str(title_id), kind="audio", language="fr")
    upload(client, editor, master.read_bytes(), title_id=str(title_id))

    assert make_worker(app).run(once=True) == 1

    (version,) = versions_of(app, title_id)
    assert [a.language for a in version.audio_tracks] == ["en", "fr"]
    hls = (app.state.runtime.settings.resolved_media_dir / version.hls_master).read_text()
    assert 'LANGUAGE="fr"' in hls
