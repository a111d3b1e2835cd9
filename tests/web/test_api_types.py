"""The web client's API types are the ones generated from the app's OpenAPI document."""

from __future__ import annotations

import subprocess
from pathlib import Path

from marquee import openapi

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
GENERATED = WEB / "src" / "generated" / "openapi.d.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"


def generate(document: Path, output: Path) -> str:
    """What `npm run gen:api` writes, from `document`."""
    subprocess.run(
        [str(GENERATOR), str(document), "-o", str(output)],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return output.read_text()


def test_generated_types_match_the_served_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    assert openapi.main(["-o", str(document)]) == 0
    fresh = generate(document, tmp_path / "openapi.d.ts")
    assert "too_many_streams" in fresh  # the problem types reach the client's types
    assert fresh == GENERATED.read_text(), "stale: run `npm run gen:api` in web/"


def test_a_changed_document_makes_the_committed_types_stale(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    assert openapi.main(["-o", str(document)]) == 0
    served = document.read_text()
    changed = served.replace('"title": "Display Name"', '"title": "Screen Name"')
    assert changed != served
    document.write_text(changed)
    assert generate(document, tmp_path / "openapi.d.ts") != GENERATED.read_text()


def test_the_client_names_generated_types_not_hand_typed_shapes() -> None:
    shapes = (WEB / "src" / "apiTypes.ts").read_text()
    assert 'from "./generated/openapi"' in shapes
    assert "interface " not in shapes
    studio = (WEB / "src" / "pages" / "editor" / "studioApi.ts").read_text()
    assert "interface " not in studio
