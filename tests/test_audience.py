import pytest
from fastapi.testclient import TestClient

from marquee.audience import resolve_country
from marquee.maturity import Maturity, level
from tests.support import signup


@pytest.mark.parametrize(
    ("header", "ip", "expected"),
    [
        ("fr", None, "FR"),
        (" GB ", "10.0.0.1", "GB"),
        ("not-a-country", "10.1.2.3", "DE"),
        (None, "10.1.2.3", "DE"),
        (None, "192.168.7.7", "JP"),
        (None, "8.8.8.8", "US"),
        (None, "garbage", "US"),
        (None, None, "US"),
    ],
)
def test_resolve_country(header: str | None, ip: str | None, expected: str) -> None:
    cidrs = {"10.0.0.0/8": "de", "192.168.0.0/16": "jp"}
    assert resolve_country(header_value=header, client_ip=ip, cidrs=cidrs, default="us") == expected


def test_registration_records_the_edge_country(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "pays@example.com", "password": "correct horse battery"},
        headers={"CloudFront-Viewer-Country": "BR"},
    )
    assert response.json()["user"]["country"] == "BR"
    assert signup(client).email


def test_maturity_scale_orders_film_and_tv_ratings() -> None:
    assert level("TV-Y") < level("TV-Y7") < level("G") == level("TV-G") < level("PG")
    assert level("PG-13") == level("TV-14") < level("R") == level("TV-MA") < level("NC-17")
    assert level("pg-13") == Maturity.TEENS
    with pytest.raises(ValueError, match="unknown maturity rating"):
        level("X")
