"""`marquee stack up | status | down`: the scaled-out deployment on this machine, on loopback.

PostgreSQL, Redis (append-only, so stream slots survive a restart), an S3 API server
(moto's), N API replicas, M workers, and nginx as the API load balancer and the media edge,
all in the background with production settings and generated secrets. Everything lives
under `$MARQUEE_VAR_DIR/stack/`; `stack.json` there says what runs where:
`{"url": ..., "components": [{"name", "kind", "pid", "url"?}, ...]}`. moto keeps objects in
memory, so a start after `down` (or after a component died) begins with an empty cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Annotated

import typer

from marquee.config import Settings
from marquee.delivery.edge import (
    BalancerOptions,
    EdgeOptions,
    Upstreams,
    balancer_config,
    nginx_config,
    prepare_dirs,
)
from marquee.stack_services import (
    PG_BIN,
    Component,
    Stack,
    StackError,
    alive,
    as_postgres,
    free_port,
    postgres_folder,
    start_postgres,
    start_redis,
    start_s3,
    wait_for_port,
)

STOP_TIMEOUT = 30.0


def marquee_env(stack: Stack, urls: dict[str, str], public_url: str) -> dict[str, str]:
    """Production settings for every Marquee process of the stack."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARQUEE_")}
    return (
        env
        | stack.secrets()
        | {
            "MARQUEE_ENV": "production",
            "MARQUEE_VAR_DIR": str(stack.root / "var"),
            "MARQUEE_DATABASE_URL": urls["postgresql"],
            "MARQUEE_REDIS_URL": urls["redis"],
            "MARQUEE_STORAGE_BACKEND": "s3",
            "MARQUEE_S3_ENDPOINT_URL": urls["s3"],
            "MARQUEE_S3_BUCKET": "marquee",
            # moto takes any credentials; a real store takes the operator's.
            "MARQUEE_S3_ACCESS_KEY": "marquee",
            "MARQUEE_S3_SECRET_KEY": "marquee-stack",
            "MARQUEE_MEDIA_BASE_URL": public_url,
            "MARQUEE_JSON_LOGS": "true",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
        }
    )


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "marquee.cli", *args]


def prepare(stack: Stack, env: dict[str, str], demo: bool) -> None:
    """Migrations, the bucket, and with `demo` the demo catalogue and media."""
    from marquee.storage.s3 import S3Store

    subprocess.run(_cli("migrate"), env=env, check=True, capture_output=True, cwd=stack.root)
    S3Store(
        bucket=env["MARQUEE_S3_BUCKET"],
        endpoint_url=env["MARQUEE_S3_ENDPOINT_URL"],
        access_key=env["MARQUEE_S3_ACCESS_KEY"],
        secret_key=env["MARQUEE_S3_SECRET_KEY"],
    ).ensure_bucket()
    if demo:
        with (stack.logs / "demo.log").open("ab") as log:
            subprocess.run(
                _cli("demo", "--no-serve"),
                env=env,
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=stack.root,
            )


def start_apis(stack: Stack, env: dict[str, str], count: int) -> list[Component]:
    started = []
    for n in range(1, count + 1):
        port = free_port()
        proc = stack.spawn(f"api-{n}", _cli("serve", "--port", str(port)), env)
        started.append((proc, port))
    components = []
    for n, (proc, port) in enumerate(started, 1):
        wait_for_port(port, proc, f"api-{n}")
        components.append(Component(f"api-{n}", "api", proc.pid, f"http://127.0.0.1:{port}"))
    return components


def start_workers(stack: Stack, env: dict[str, str], count: int) -> list[Component]:
    started = []
    for n in range(1, count + 1):
        port = free_port()
        metrics = {"MARQUEE_WORKER_METRICS_PORT": str(port)}
        started.append((stack.spawn(f"worker-{n}", _cli("worker"), env | metrics), port))
    components = []
    for n, (proc, port) in enumerate(started, 1):
        wait_for_port(port, proc, f"worker-{n}")  # its metrics listener: it is up
        url = f"http://127.0.0.1:{port}/metrics"
        components.append(Component(f"worker-{n}", "worker", proc.pid, url))
    return components


def start_nginx(
    stack: Stack, settings: Settings, apis: list[Component], port: int
) -> list[Component]:
    """The media edge, then the load balancer in front of the APIs and the edge."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    origins = Upstreams(servers=tuple(str(c.url).removeprefix("http://") for c in apis))
    user = "root" if os.geteuid() == 0 else None
    edge_port = free_port()
    folder = stack.root / "nginx"
    edge = EdgeOptions(
        listen=f"127.0.0.1:{edge_port}",
        origins=origins,
        cache_dir=folder / "edge-cache",
        run_dir=folder / "edge-run",
        log_dir=stack.logs / "edge",
        user=user,
        worker_processes="2",
        cache_max_size="2g",
        # Same machine, same media folder: segments go straight from its lane tree.
        media_root=(
            settings.resolved_media_dir.resolve() if settings.storage_backend == "local" else None
        ),
    )
    balancer = BalancerOptions(
        listen=f"127.0.0.1:{port}",
        apis=origins,
        edge=f"127.0.0.1:{edge_port}",
        run_dir=folder / "lb-run",
        log_dir=stack.logs / "lb",
        user=user,
        worker_processes="2",
    )
    prepare_dirs(edge)
    prepare_dirs(balancer)
    components = []
    for name, text, listen in (
        ("edge", nginx_config(settings, edge), edge_port),
        ("lb", balancer_config(balancer), port),
    ):
        config = folder / f"{name}.conf"
        config.write_text(text)
        config.chmod(0o600)
        command = [binary, "-e", str(stack.logs / f"nginx-{name}.log"), "-p", str(folder)]
        proc = stack.spawn(
            f"nginx-{name}", [*command, "-c", str(config), "-g", "daemon off;"], dict(os.environ)
        )
        wait_for_port(listen, proc, f"nginx ({name})")
        components.append(
            Component(f"nginx-{name}", "nginx", proc.pid, f"http://127.0.0.1:{listen}")
        )
    return components


def _stop(component: Component, stack: Stack) -> None:
    if component.kind == "postgresql":
        data = postgres_folder(stack) / "data"
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
    elif alive(component.pid):
        # Each runs in a session of its own: its group is its own children (FFmpeg too).
        try:
            os.killpg(component.pid, signal.SIGTERM)
        except ProcessLookupError:
            return


def stop_all(stack: Stack) -> list[Component]:
    """Stop every component, newest first; SIGKILL what is still there after a grace."""
    components = list(reversed(stack.components()))
    for component in components:
        _stop(component, stack)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(alive(c.pid) for c in components) and time.monotonic() < deadline:
        time.sleep(0.1)
    for component in components:
        if alive(component.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.pid, signal.SIGKILL)
    stack.state_file.unlink(missing_ok=True)
    return components


def forget_data(stack: Stack) -> None:
    """Empty the database and Redis before a start.

    The S3 server (moto) keeps its objects in memory, so every start of it is an empty store;
    a database kept from the last run would list titles and versions whose media is gone
    (their playlists answering 404). The whole cluster starts empty together instead.
    """
    shutil.rmtree(postgres_folder(stack) / "data", ignore_errors=True)
    shutil.rmtree(stack.root / "redis", ignore_errors=True)


def bring_up(stack: Stack, *, apis: int, workers: int, demo: bool, port: int) -> dict[str, object]:
    """Start the whole stack (or keep it, when everything already runs); return its state."""
    state = stack.load()
    if state is not None and all(alive(c.pid) for c in stack.components()):
        return state
    stop_all(stack)  # whatever is left of a stack that partly died
    forget_data(stack)
    stack.root.mkdir(parents=True, exist_ok=True)
    public = f"http://127.0.0.1:{port}"
    components: list[Component] = []
    try:
        urls = {}
        for start in (start_postgres, start_redis, start_s3):
            component, urls[component.kind] = start(stack)
            components.append(component)
            _save(stack, public, components)
        env = marquee_env(stack, urls, public)
        prepare(stack, env, demo)
        api_components = start_apis(stack, env, apis)
        components += api_components
        _save(stack, public, components)
        components += start_workers(stack, env, workers)
        _save(stack, public, components)
        settings = Settings(media_link_secret=env["MARQUEE_MEDIA_LINK_SECRET"])
        components += start_nginx(stack, settings, api_components, port)
    except BaseException:
        _save(stack, public, components)
        stop_all(stack)
        raise
    return _save(stack, public, components)


def _save(stack: Stack, url: str, components: list[Component]) -> dict[str, object]:
    state: dict[str, object] = {"url": url, "components": [asdict(c) for c in components]}
    temp = stack.state_file.with_suffix(".tmp")
    temp.write_text(json.dumps(state, indent=1))
    temp.replace(stack.state_file)
    return state


stack_app = typer.Typer(no_args_is_help=True, help="A scaled-out Marquee on this machine.")


def _stack() -> Stack:
    return Stack(Settings().var_dir.resolve() / "stack")


@stack_app.command("up")
def up_command(
    api: Annotated[int, typer.Option("--api", min=1, help="API replicas.")] = 2,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Workers.")] = 2,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo catalogue.")] = False,
    port: Annotated[int, typer.Option(help="Port of the load balancer.")] = 8080,
) -> None:
    """Start PostgreSQL, Redis, S3, N APIs, M workers and nginx in the background."""
    try:
        state = bring_up(_stack(), apis=api, workers=workers, demo=demo, port=port)
    except (StackError, subprocess.CalledProcessError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Marquee is running on {state['url']} (marquee stack status, marquee stack down)")


@stack_app.command("status")
def status_command() -> None:
    """Each component of the stack and whether it runs; exits 1 when any does not."""
    stack = _stack()
    state = stack.load()
    if state is None:
        typer.echo("no stack is running")
        raise typer.Exit(1)
    components = stack.components()
    for c in components:
        typer.echo(
            f"{c.name:14} {c.kind:11} {c.pid:>8}  {'up' if alive(c.pid) else 'DOWN':5} "
            f"{c.url or ''}"
        )
    typer.echo(f"url: {state['url']}")
    if not all(alive(c.pid) for c in components):
        raise typer.Exit(1)


@stack_app.command("down")
def down_command() -> None:
    """Stop everything `stack up` started (data stays for the next `up`)."""
    stopped = stop_all(_stack())
    typer.echo(f"stopped {len(stopped)} component(s)")
