"""The deployment files in deploy/: parsed, schema-checked and kept in step with the settings.

No container engine or cluster runs here, so each file is checked by the tool that knows its
format: the official Dockerfile parser, the Compose Specification's JSON Schema, the
Kubernetes OpenAPI schemas (strict: unknown fields fail) and systemd's own unit verifier.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dockerfile
import kubernetes_validate
import pytest
import yaml

from marquee.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.31.0"
SETTING = re.compile(r"^MARQUEE_[A-Z0-9_]+$")
MARQUEE_BIN = "/opt/marquee/.venv/bin/marquee"


def _kubernetes_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    template = document.get("spec", {}).get("template", {}).get("spec", {})
    return list(template.get("containers", []))


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    return loaded


def _containerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for command in dockerfile.parse_file(str(DEPLOY / "Containerfile")):
        if command.cmd == "ENV":
            values = list(command.value)
            env |= dict(zip(values[::2], values[1::2], strict=True))
    return env


def _every_marquee_variable() -> dict[str, set[str]]:
    """Each MARQUEE_* variable that some deployment file sets, with the files that set it."""
    found: dict[str, set[str]] = {}

    def note(source: str, names: object) -> None:
        for name in names:  # type: ignore[attr-defined]
            if str(name).startswith("MARQUEE_"):
                found.setdefault(str(name), set()).add(source)

    note("Containerfile", _containerfile_env())
    for service in _compose()["services"].values():
        note("compose.yaml", service.get("environment", {}) or {})
    for path in DEPLOY.rglob("*.env.example"):
        note(path.name, _env_file(path))
    for name, document in _kubernetes_documents():
        note(name, document.get("data", {}) or {})
        note(name, document.get("stringData", {}) or {})
        for container in _containers(document):
            note(name, [variable["name"] for variable in container.get("env", [])])
    for path in (DEPLOY / "systemd").glob("*.service"):
        note(path.name, re.findall(r"\b(MARQUEE_[A-Z0-9_]+)=", path.read_text()))
    return found


def test_every_marquee_variable_the_files_set_is_a_setting() -> None:
    variables = _every_marquee_variable()
    assert len(variables) >= 12  # the files really were read
    known = {f"MARQUEE_{name.upper()}" for name in Settings.model_fields}
    unknown = {name: sorted(files) for name, files in variables.items() if name not in known}
    assert unknown == {}
    assert all(SETTING.match(name) for name in variables)


@pytest.mark.parametrize("source", ["kubernetes", "compose", "systemd"])
def test_each_deployments_settings_load_in_production(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "kubernetes":
        env: dict[str, str] = {}
        for _, document in _kubernetes_documents():
            if document["kind"] in ("ConfigMap", "Secret"):
                env |= document.get("data", {}) | document.get("stringData", {})
    elif source == "compose":
        env = _env_file(DEPLOY / "compose" / "marquee.env.example")
        env |= {
            k: str(v).replace("${POSTGRES_PASSWORD:-marquee}", "marquee")
            for k, v in _compose()["services"]["api"]["environment"].items()
        }
    else:
        env = _env_file(DEPLOY / "systemd" / "marquee.env.example")
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"MARQUEE_{name.upper()}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.env == "production"
    assert settings.storage_backend == "s3"
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")
    assert settings.redis_url is not None


def test_the_image_builds_the_locked_environment_and_the_web_client_and_runs_unprivileged() -> None:
    commands = dockerfile.parse_file(str(DEPLOY / "Containerfile"))
    by_kind: dict[str, list[dockerfile.Command]] = {}
    for command in commands:
        by_kind.setdefault(command.cmd, []).append(command)
    runs = " ".join(" ".join(c.value) for c in by_kind["RUN"])
    assert "uv sync --frozen --no-dev" in runs
    assert "npm ci" in runs
    assert "npm run build" in runs
    assert any("--from=web" in c.flags for c in by_kind["COPY"])
    # Every local path copied in exists in the repository.
    for command in by_kind["COPY"]:
        if not command.flags:
            for source in command.value[:-1]:
                assert (ROOT / source).exists(), source
    user = by_kind["USER"][-1].value[0]
    assert user.split(":")[0] not in ("root", "0")
    # The last USER comes after the last RUN: nothing is installed as the run-time user.
    assert commands.index(by_kind["USER"][-1]) > commands.index(by_kind["RUN"][-1])
    healthcheck = " ".join(by_kind["HEALTHCHECK"][0].value)
    assert "/healthz" in healthcheck
    assert by_kind["ENTRYPOINT"][0].value == ("marquee",)


def test_compose_matches_the_compose_specification() -> None:
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "compose" / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_compose_runs_the_whole_topology_with_health_checks_and_volumes() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "s3", "migrate", "api", "worker", "lb", "edge"} <= set(services)
    for name in ("postgres", "redis", "s3", "api", "lb"):
        assert services[name]["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "--appendonly" in services["redis"]["command"]
    volumes = set(_compose()["volumes"])
    for name in ("postgres", "redis", "s3"):
        mounted = {v.split(":")[0] for v in services[name]["volumes"]}
        assert mounted, name
        assert mounted <= volumes, name


def test_kubernetes_manifests_match_the_kubernetes_schemas() -> None:
    kinds = []
    for _name, document in _kubernetes_documents():
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        kinds.append(document["kind"])
    assert sorted(set(kinds)) == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ]


def test_the_kubernetes_validator_refuses_an_unknown_field() -> None:
    # The check above means something only if strict mode rejects a misspelt field.
    deployment = next(d for _, d in _kubernetes_documents() if d["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kubernetes_pods_have_probes_and_a_termination_grace() -> None:
    deployments = {
        d["metadata"]["name"]: d for _, d in _kubernetes_documents() if d["kind"] == "Deployment"
    }
    api = deployments["marquee-api"]["spec"]["template"]["spec"]
    probes = api["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    worker = deployments["marquee-worker"]["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] >= 60
    for pod in (api, worker):
        assert pod["securityContext"]["runAsNonRoot"] is True
    targets = {
        d["spec"]["scaleTargetRef"]["name"]
        for _, d in _kubernetes_documents()
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    assert targets == set(deployments)


def test_systemd_units_pass_systemds_own_verifier(tmp_path: Path) -> None:
    verifier = shutil.which("systemd-analyze")
    assert verifier is not None, "systemd-analyze is part of Debian's systemd package"
    real = ROOT / ".venv" / "bin" / "marquee"
    assert real.exists()
    names = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        if unit.suffix not in (".service", ".target"):
            continue
        # The verifier checks that ExecStart exists: point it at this checkout's command.
        text = unit.read_text().replace(MARQUEE_BIN, str(real))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        names.append(str(tmp_path / name))
    assert len(names) == 4
    check = subprocess.run(
        [verifier, "verify", "--man=no", *names], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stderr
    assert check.stderr.strip() == "", check.stderr


def test_the_systemd_verifier_reports_an_unknown_key(tmp_path: Path) -> None:
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nRestartt=always\n")
    check = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Unknown key" in check.stderr


def test_the_nginx_configs_compose_renders_are_valid_nginx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from marquee.cli import app as cli

    monkeypatch.setenv("MARQUEE_MEDIA_LINK_SECRET", "compose-link-secret")
    script = _compose()["services"]["nginx-config"]["command"][0]
    rendered = []
    for step in script.split("&&"):
        words = step.split()
        if words[:2] != ["marquee", "edge"]:
            continue
        args = words[1:]
        # This machine's paths and user in place of the container's.
        for flag in ("--output", "--run-dir", "--log-dir", "--cache-dir", "--user"):
            if flag in args:
                at = args.index(flag)
                value = "" if flag == "--user" else str(tmp_path / f"{len(rendered)}{flag}")
                args[at + 1] = value
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        output = Path(args[args.index("--output") + 1])
        rendered.append(output)
        for flag in ("--run-dir", "--log-dir", "--cache-dir"):
            if flag in args:
                Path(args[args.index(flag) + 1]).mkdir(parents=True, exist_ok=True)
    assert len(rendered) == 2
    for config in rendered:
        # Host names of the compose network do not resolve here; loopback stands in.
        text = config.read_text().replace("api:8000", "127.0.0.1:8000")
        config.write_text(text.replace("edge:8081", "127.0.0.1:8081"))
        check = subprocess.run(
            ["/usr/sbin/nginx", "-t", "-q", "-e", str(tmp_path / "e.log"), "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stderr
