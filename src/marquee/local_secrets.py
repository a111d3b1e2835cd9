"""Secrets a development or demo install makes for itself on first run and keeps in var/."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

FILE_NAME = "secrets.json"


def _generate() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(48),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        # The edge puts this in an nginx string: URL-safe characters only.
        "media_link_secret": secrets.token_urlsafe(32),
    }


def load_or_create(var_dir: Path) -> dict[str, str]:
    """The install's secrets; the first process to get here writes them, the rest read them.

    The file is created exclusively with mode 0600 and filled before it is linked into
    place, so a concurrent reader (the API and the worker start together) never sees it
    half written.
    """
    path = var_dir / FILE_NAME
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        temporary = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_generate(), handle)
        try:
            os.link(temporary, path)  # fails if another process linked first: theirs wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return stored
