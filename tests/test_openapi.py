"""The OpenAPI document declares every problem answer, and the app answers as it declares."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee import problems
from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.config import Settings
from marquee.errors import PROBLEM_MEDIA_TYPE
from marquee.openapi import PROBLEM_TYPES
from tests.support import assert_problem, signup, signup_with_role

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
STATUS_OF = {p.code: p.status for p in problems.declared()}
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The document as served, from an app that never opens its (empty) database."""
    var = tmp_path_factory.mktemp("openapi")
    settings = Settings(
        env="test", database_url=f"sqlite:///{var / 'empty.db'}", var_dir=var, log_level="CRITICAL"
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client.get("/openapi.json").json()
    app.state.runtime.close()


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def declared_types(operation: dict[str, Any], status: int) -> list[str]:
    return list(operation["responses"].get(str(status), {}).get(PROBLEM_TYPES, []))


def test_the_problem_schema_is_rfc_9457_and_fastapis_422_is_gone(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code"}
    assert {"errors", "retry_after"} <= set(problem["properties"])
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert problem["properties"]["code"]["enum"] == sorted(STATUS_OF)


def test_every_operation_declares_its_problems_as_problem_json(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert len(ops) > 60
    for method, path, operation in ops:
        where = f"{method} {path}"
        responses = operation["responses"]
        assert "500" in responses, where
        if operation.get("security"):
            assert {"not_authenticated", "invalid_token"} <= set(declared_types(operation, 401))
        if operation.get("parameters") or operation.get("requestBody"):
            assert "validation_error" in declared_types(operation, 422), where
        for status, response in responses.items():
            if not status.isdigit() or int(status) < 400:
                continue
            assert response["content"] == {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}, where
            codes = response[PROBLEM_TYPES]
            assert codes, f"{where} {status}"
            assert response["description"] == ", ".join(codes)
            for code in codes:
                assert STATUS_OF.get(code) == int(status), f"{where}: {code} is not a {status}"


def test_domain_problems_are_declared_where_they_happen(document: dict[str, Any]) -> None:
    paths = document["paths"]
    start = paths["/api/v1/playback/sessions"]["post"]
    assert declared_types(start, 409) == [
        "not_playable",
        "too_many_streams",
        "no_supported_rendition",
    ]
    assert declared_types(start, 451) == ["not_available_in_region"]
    assert declared_types(start, 402) == ["subscription_required"]
    admin_titles = paths["/api/v1/admin/titles"]["post"]
    assert declared_types(admin_titles, 403) == ["editor_required"]
    assert declared_types(admin_titles, 409) == ["slug_taken"]
    append = paths["/api/v1/admin/uploads/{upload_id}"]["patch"]
    assert declared_types(append, 460) == ["checksum_mismatch"]
    assert "upload_offset_mismatch" in declared_types(append, 409)


def _url(path: str) -> str:
    """A concrete URL for a templated path: ids that exist nowhere, small numbers."""
    url = path.replace("{number}", "1").replace("{episode}", "1")
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), url)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    return client.request(method, _url(path), headers={"Tus-Resumable": "1.0.0", **headers})


def _check_declared(operation: dict[str, Any], method: str, path: str, response: Any) -> None:
    status = response.status_code
    assert str(status) in operation["responses"], f"{method} {path}: {status} undeclared"
    if method == "HEAD":
        return  # no body to read
    code = response.json()["type"].rsplit("/", 1)[1]
    assert code in declared_types(operation, status), f"{method} {path}: {code} undeclared"


@pytest.fixture
def served_document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_secured_operations_answer_401_as_declared(
    client: TestClient, served_document: dict[str, Any]
) -> None:
    secured = [op for op in operations(served_document) if op[2].get("security")]
    assert len(secured) > 50
    for method, path, operation in secured:
        response = _call(client, method, path, {})
        assert response.status_code == 401, f"{method} {path}: {response.text}"
        _check_declared(operation, method, path, response)


def test_studio_operations_refuse_viewers_as_declared(
    client: TestClient, served_document: dict[str, Any]
) -> None:
    viewer = signup(client)
    studio = [op for op in operations(served_document) if op[1].startswith("/api/v1/admin/")]
    assert len(studio) > 30
    for method, path, operation in studio:
        response = _call(client, method, path, viewer.headers)
        assert response.status_code == 403, f"{method} {path}: {response.text}"
        _check_declared(operation, method, path, response)


def test_missing_things_answer_the_declared_404(
    client: TestClient, app: FastAPI, served_document: dict[str, Any]
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    gets = [
        op
        for op in operations(served_document)
        if op[0] == "GET" and op[1].startswith("/api/v1/admin/") and op[1].endswith("_id}")
    ]
    assert len(gets) >= 4
    for method, path, operation in gets:
        response = _call(client, method, path, editor.headers)
        assert response.status_code == 404, f"{method} {path}: {response.text}"
        _check_declared(operation, method, path, response)
    viewer = signup(client)
    title = f"/api/v1/titles/{uuid.uuid4()}"
    response = client.get(title, params={"profile_id": viewer.profile_id}, headers=viewer.headers)
    assert_problem(response, 404, "title_not_found")
    _check_declared(
        served_document["paths"]["/api/v1/titles/{title_id}"]["get"], "GET", title, response
    )


def test_document_does_not_depend_on_the_database(
    document: dict[str, Any], served_document: dict[str, Any]
) -> None:
    assert served_document == document


def _json_operations(document: dict[str, Any]) -> list[Operation]:
    return [
        op
        for op in operations(document)
        if "application/json" in op[2].get("requestBody", {}).get("content", {})
    ]


def test_malformed_json_answers_the_declared_400(
    client: TestClient, app: FastAPI, served_document: dict[str, Any]
) -> None:
    admin = signup_with_role(client, app, Role.ADMIN)
    readers = _json_operations(served_document)
    assert len(readers) > 25
    for method, path, operation in readers:
        headers = {**admin.headers, "Content-Type": "application/json"}
        response = client.request(method, _url(path), content=b'{"half": ', headers=headers)
        assert response.status_code == 400, f"{method} {path}: {response.text}"
        assert response.json()["type"] == "/problems/malformed_json"
        _check_declared(operation, method, path, response)


def test_ids_that_are_not_ids_answer_the_declared_422(
    client: TestClient, app: FastAPI, served_document: dict[str, Any]
) -> None:
    admin = signup_with_role(client, app, Role.ADMIN)
    with_ids = [op for op in operations(served_document) if "_id}" in op[1]]
    assert len(with_ids) > 30
    for method, path, operation in with_ids:
        url = re.sub(r"\{[a-z_]+_id\}", "not-an-id", path).replace("{number}", "1")
        url = url.replace("{episode}", "1")
        body = {"json": {}} if "requestBody" in operation else {}
        headers = {**admin.headers, "Tus-Resumable": "1.0.0"}
        response = client.request(method, url, headers=headers, **body)
        assert response.status_code == 422, f"{method} {path}: {response.text}"
        _check_declared(operation, method, path, response)
