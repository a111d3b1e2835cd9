"""Property-based testing of the whole HTTP API against its own OpenAPI document.

schemathesis generates requests for every operation, as a viewer and as an editor on a
throwaway catalogue, and fails on any server error, any status or content type the document
does not declare, and any response body that breaks its declared schema. Bounded and
derandomized: the same cases on every run, a few minutes at most.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, text

from marquee.accounts import billing
from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.models import Base
from tests.catalog.factories import make_title
from tests.support import ApiUser, signup, signup_with_role

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


@dataclass
class Api:
    app: FastAPI
    users: dict[str, ApiUser]


def _database(backend: str, tmp: Path, postgres: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'schemathesis.db'}"
        return
    assert postgres is not None
    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    postgres = request.getfixturevalue("postgresql_url") if request.param == "postgresql" else None
    for url in _database(request.param, tmp, postgres):
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        with transaction(make_sessionmaker(engine)) as session:
            billing.seed_plans(session=session)
            for _ in range(3):
                make_title(session)
        engine.dispose()
        settings = Settings(
            env="test",
            database_url=url,
            var_dir=tmp / "var",
            json_logs=False,
            log_level="CRITICAL",
            registrations_per_ip=1_000_000,
            login_attempts_per_ip=1_000_000,
            metrics_public=True,
        )
        app = create_app(settings)
        with TestClient(app) as client:
            users = {
                "viewer": signup(client),
                "editor": signup_with_role(client, app, Role.EDITOR),
            }
        yield Api(app, users)
        app.state.runtime.close()


def _operation_failures(api: Api, operation: schemathesis.APIOperation) -> tuple[int, str | None]:
    """Run the operation's bounded cases as both roles: (cases run, first failure or None)."""
    ran = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal ran
        ran += 1
        for role in ("viewer", "editor"):
            case.call_and_validate(headers=api.users[role].headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # try every operation, report all failures
        return ran, f"{operation.label}: {exc}"[:1500]
    return ran, None


def test_the_api_keeps_its_own_contract(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, cases = [], 0
    for operation in operations:
        ran, failure = _operation_failures(api, operation)
        cases += 2 * ran
        if failure is not None:
            failures.append(failure)
    print(f"schemathesis: {len(operations)} operations, {cases} cases, {len(failures)} failing")
    assert not failures, "\n\n".join(failures)
