import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.app import create_app
from marquee.audience import resolve_country
from marquee.config import Settings
from marquee.maturity import Maturity, level
from tests.support import PASSWORD, unique_email

CIDRS = {"10.0.0.0/8": "de", "192.168.0.0/16": "jp"}
EDGE = ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("peer", "header", "forwarded", "expected"),
    [
        # No proxy is trusted by default: a client's header and hops are ignored.
        ("8.8.8.8", "fr", None, "US"),
        ("10.1.2.3", "fr", "192.168.1.1", "DE"),
        ("192.168.7.7", None, None, "JP"),
        ("garbage", "fr", None, "US"),
        (None, None, None, "US"),
        # From the edge, its header wins, then the client address it appended.
        ("203.0.113.9", " gb ", "10.0.0.1", "GB"),
        ("203.0.113.9", "not-a-country", "10.1.2.3", "DE"),
        ("203.0.113.9", None, "192.168.7.7", "JP"),
        # A client-planted hop before the one the edge appended is never believed.
        ("203.0.113.9", None, "10.9.9.9, 8.8.8.8", "US"),
        ("203.0.113.9", None, "bogus", "US"),
    ],
)
def test_country_from_trusted_hops_only(
    peer: str | None, header: str | None, forwarded: str | None, expected: str
) -> None:
    trusted = EDGE if peer and peer.startswith("203.") else []
    country = resolve_country(
        peer=peer,
        header_value=header,
        forwarded_for=forwarded,
        trusted_proxies=trusted,
        cidrs=CIDRS,
        default="us",
    )
    assert country == expected


def _register(app: FastAPI, peer: str, headers: dict[str, str]) -> str:
    with TestClient(app, client=(peer, 40000)) as client:
        response = client.post(
            "/api/v1/auth/register",
            json={"email": unique_email(), "password": PASSWORD},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["user"]["country"])


def test_a_client_cannot_pick_its_country(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"country_cidrs": {"198.51.100.0/24": "NL"}}))
    try:
        headers = {"CloudFront-Viewer-Country": "FR", "X-Forwarded-For": "198.51.100.7"}
        assert _register(app, "192.0.2.10", headers) == "US"
    finally:
        app.state.runtime.close()


def test_registration_records_the_country_of_a_trusted_edge(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"trusted_proxies": ["192.0.2.0/24"], "country_cidrs": {"198.51.100.0/24": "NL"}}
    )
    app = create_app(configured)
    try:
        assert _register(app, "192.0.2.10", {"CloudFront-Viewer-Country": "BR"}) == "BR"
        assert _register(app, "192.0.2.10", {"X-Forwarded-For": "198.51.100.7"}) == "NL"
    finally:
        app.state.runtime.close()


def test_maturity_scale_orders_film_and_tv_ratings() -> None:
    assert level("TV-Y") < level("TV-Y7") < level("G") == level("TV-G") < level("PG")
    assert level("PG-13") == level("TV-14") < level("R") == level("TV-MA") < level("NC-17")
    assert level("pg-13") == Maturity.TEENS
    with pytest.raises(ValueError, match="unknown maturity rating"):
        level("X")
