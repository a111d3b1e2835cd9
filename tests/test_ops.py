from fastapi.testclient import TestClient
from pydantic import SecretStr

from marquee.app import create_app
from marquee.config import Settings
from tests.support import assert_problem


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_metrics_histogram_by_route(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/api/v1/plans")
    body = client.get("/metrics").text
    assert (
        'marquee_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"'
        in body
    )
    assert 'route="/api/v1/plans"' in body


def test_request_id_is_returned_and_propagated(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nope"), 404, "not_found")


def test_wrong_method_is_problem_json(client: TestClient) -> None:
    assert_problem(client.delete("/api/v1/plans"), 405, "method_not_allowed")


def test_openapi_operation_ids_are_stable(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "auth-login" in ids
    assert "me-create_profile" in ids


def test_site_root_serves_a_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Marquee" in response.text


def test_metrics_are_private_by_default(settings: Settings) -> None:
    closed = create_app(settings.model_copy(update={"metrics_public": False}))
    token = "scrape-" + "t" * 32
    guarded = create_app(
        settings.model_copy(update={"metrics_public": False, "metrics_token": SecretStr(token)})
    )
    try:
        with TestClient(closed) as client:
            assert_problem(client.get("/metrics"), 404, "not_found")
        with TestClient(guarded) as client:
            assert_problem(client.get("/metrics"), 401, "not_authenticated")
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert_problem(wrong, 401, "not_authenticated")
            ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200
            assert "marquee_http_request_duration_seconds" in ok.text
    finally:
        closed.state.runtime.close()
        guarded.state.runtime.close()
