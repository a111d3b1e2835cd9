"""The problem types: declared once each, answered as declared, listed in docs/problems.md."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

import marquee
from marquee import problems
from marquee.errors import PROBLEM_MEDIA_TYPE, MarqueeError, RateLimited, install_handlers

SRC = Path(marquee.__file__).parent
DECLARED = problems.declared()


def _all_error_classes() -> list[type[MarqueeError]]:
    for module in pkgutil.walk_packages(marquee.__path__, "marquee."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return problems._subclasses(MarqueeError)


def _instance(problem: type[MarqueeError]) -> MarqueeError:
    if issubclass(problem, RateLimited):
        return problem("Slow down.", retry_after=7)
    return problem("Something specific happened.")


def test_every_error_class_lives_in_an_errors_module() -> None:
    modules = set(problems.error_modules())
    strays = [
        f"{c.__module__}.{c.__name__}" for c in _all_error_classes() if c.__module__ not in modules
    ]
    assert strays == []


def test_each_type_is_declared_once_with_one_status_and_title() -> None:
    codes = [p.code for p in DECLARED]
    assert len(codes) == len(set(codes))
    by_code = {p.code: p for p in DECLARED}
    for cls in _all_error_classes():
        owner = by_code[cls.code]
        assert (cls.status, cls.title) == (owner.status, owner.title), cls
        assert problems.when(owner), f"{owner.__name__} needs a docstring saying when it happens"


def test_types_keep_their_values() -> None:
    # Clients switch on these; a sample from every domain that raises problems.
    expected = {
        "too_many_streams": 409,
        "not_available_in_region": 451,
        "subscription_required": 402,
        "title_not_found": 404,
        "email_taken": 409,
        "invalid_token": 401,
        "upload_offset_mismatch": 409,
        "checksum_mismatch": 460,
        "media_corrupt": 422,
        "job_not_retryable": 409,
        "media_link_expired": 403,
        "range_not_satisfiable": 416,
        "invalid_year_range": 422,
        "invalid_interactions": 422,
        "validation_error": 422,
        "malformed_json": 400,
    }
    declared = {p.code: p.status for p in DECLARED}
    assert {code: declared.get(code) for code in expected} == expected


def _calls_naming_a_code(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in names and any(k.arg == "code" for k in node.keywords):
            found.append(f"{path.relative_to(SRC)}:{node.lineno} {name}(code=...)")
    return found


def test_no_raise_site_names_a_code() -> None:
    names = {cls.__name__ for cls in _all_error_classes()}
    found = [hit for path in sorted(SRC.rglob("*.py")) for hit in _calls_naming_a_code(path, names)]
    assert found == []
    with pytest.raises(TypeError, match="code"):
        MarqueeError("An ad-hoc type.", code="made_up")


def _raising_app(problem: type[MarqueeError]) -> FastAPI:
    app = FastAPI()
    install_handlers(app)

    @app.get("/raise")
    def raise_it() -> None:
        raise _instance(problem)

    return app


@pytest.mark.parametrize("problem", DECLARED, ids=[p.code for p in DECLARED])
def test_the_handler_answers_each_declared_problem(problem: type[MarqueeError]) -> None:
    with TestClient(_raising_app(problem), raise_server_exceptions=False) as client:
        response = client.get("/raise")
    assert response.status_code == problem.status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == f"/problems/{problem.code}"
    assert body["code"] == problem.code
    assert body["title"] == problem.title
    assert body["status"] == problem.status
    assert body["detail"] in {"Something specific happened.", "Slow down."}
    assert body["instance"] == "/raise"


class _Body(BaseModel):
    name: str


def test_framework_answers_use_declared_types() -> None:
    app = FastAPI()
    install_handlers(app)

    @app.post("/things")
    def make(body: _Body) -> dict[str, str]:
        return {"name": body.name}

    with TestClient(app) as client:
        answers = {
            "missing": client.get("/nothing-here"),
            "method": client.get("/things"),
            "json": client.post(
                "/things", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            "fields": client.post("/things", json={"nom": "x"}),
        }
    seen = {key: (r.status_code, r.json()["type"]) for key, r in answers.items()}
    assert seen == {
        "missing": (404, "/problems/not_found"),
        "method": (405, "/problems/method_not_allowed"),
        "json": (400, "/problems/malformed_json"),
        "fields": (422, "/problems/validation_error"),
    }
    declared = {p.code for p in DECLARED}
    assert {t.rsplit("/", 1)[1] for _, t in seen.values()} <= declared


def test_docs_page_lists_every_type_and_is_current(tmp_path: Path) -> None:
    assert problems.main(["--check"]) == 0, "run: python -m marquee.problems"
    page = problems.DOCS_PAGE.read_text()
    for problem in DECLARED:
        assert f"`/problems/{problem.code}` | {problem.status} | {problem.title} |" in page
    stale = tmp_path / "problems.md"
    stale.write_text(page.replace("too_many_streams", "stream_limit"))
    assert problems.main(["--check", "--output", str(stale)]) == 1
    assert problems.main(["--output", str(stale)]) == 0
    assert stale.read_text() == page
