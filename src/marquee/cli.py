"""The `marquee` command line: serve, migrate, demo, user management and the domain tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from marquee.config import Settings
from marquee.delivery.edge_cli import edge_app
from marquee.demo.cli import catalog_app
from marquee.media.cli import media_app
from marquee.recommend.cli import recs_app
from marquee.search.cli import search_app
from marquee.stack import stack_app

app = typer.Typer(no_args_is_help=True, help="Marquee: video on demand you run yourself.")
user_app = typer.Typer(no_args_is_help=True, help="Manage accounts.")
app.add_typer(user_app, name="user")
app.add_typer(catalog_app, name="catalog")
app.add_typer(media_app, name="media")
app.add_typer(recs_app, name="recs")
app.add_typer(search_app, name="search")
app.add_typer(edge_app, name="edge")
app.add_typer(stack_app, name="stack")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date and load reference data."""
    from marquee.migrate import upgrade
    from marquee.runtime import Runtime

    with Runtime.running(Settings()) as runtime:
        upgrade(runtime)
    typer.echo("database is up to date")


# An idle keep-alive connection is closed by the proxy in front (nginx's upstream keepalive,
# 60 s by default) before this server closes it: with uvicorn's own 5 s, nginx now and then
# sent a request on a connection the server was closing, heard a reset, and took the replica
# out of the group (viewers polling every 5 s got the balancer's 502).
KEEP_ALIVE_SECONDS = 75


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API and the web client."""
    uvicorn.run(
        "marquee.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


@app.command()
def worker(
    kinds: Annotated[
        str,
        typer.Option(help="Comma-separated job kinds to take (default: every registered kind)."),
    ] = "",
    once: Annotated[bool, typer.Option("--once", help="Exit when the queue is empty.")] = False,
) -> None:
    """Run background jobs (ingest, transcoding, ...) until SIGTERM; run as many as you like."""
    from marquee.jobs.worker import run_worker
    from marquee.media.errors import TranscodeFailed
    from marquee.media.packager import check_packager
    from marquee.observability import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.json_logs)
    try:
        check_packager()  # refused now, not in the middle of a title's first ingest
    except TranscodeFailed as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    chosen = [kind.strip() for kind in kinds.split(",") if kind.strip()] or None
    ran = run_worker(settings, kinds=chosen, once=once)
    typer.echo(f"worker stopped after {ran} job(s)")


@app.command()
def ingest(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The master to upload.")
    ],
    title: Annotated[str | None, typer.Option(help="Title id the file is for.")] = None,
    episode: Annotated[str | None, typer.Option(help="Episode id the file is for.")] = None,
    server: Annotated[str, typer.Option(help="Marquee API base URL.")] = "http://127.0.0.1:8000",
    email: Annotated[str, typer.Option(envvar="MARQUEE_EMAIL", help="Editor sign-in.")] = "",
    password: Annotated[
        str, typer.Option(envvar="MARQUEE_PASSWORD", help="Editor password.", hide_input=True)
    ] = "",
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow processing.")] = True,
) -> None:
    """Upload a master (resumable: run it again after a cut) and follow its processing."""
    from rich.console import Console

    from marquee.uploads import cli as uploads_cli
    from marquee.uploads.client import UploadClient, UploadFailed, login

    meta = {"filename": file.name, **({"title_id": title} if title else {})}
    meta |= {"episode_id": episode} if episode else {}
    console = Console()
    try:
        client = UploadClient(server, login(server, email, password))
    except UploadFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    try:
        book = uploads_cli.ResumeBook(Settings().var_dir / "ingest-uploads.json")
        url = uploads_cli.upload_file(client, file, meta, book, console)
        status = client.status(url)
        console.print(f"uploaded {file.name}: upload {status['id']}, job {status['job_id']}")
        if wait and status["job_id"]:
            job = uploads_cli.follow_job(client, str(status["job_id"]), console)
            if job["state"] != "succeeded":
                console.print(f"[red]processing failed:[/red] {job['last_error']}")
                raise typer.Exit(1)
            console.print("processed: the title version is ready")
    except UploadFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        client.close()


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    password: Annotated[str, typer.Option(help="Password (8+ characters).")],
    admin: Annotated[bool, typer.Option("--admin", help="Grant the admin role.")] = False,
    editor: Annotated[bool, typer.Option("--editor", help="Grant the editor role.")] = False,
) -> None:
    """Create an account (or update the role and password of an existing one)."""
    from marquee.accounts import users_cli

    settings = Settings()
    role = "admin" if admin else "editor" if editor else "viewer"
    try:
        created = users_cli.upsert_user(
            settings=settings, email=email, password=password, role=role
        )
    except users_cli.InvalidAccount as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{'created' if created else 'updated'} {email} ({role})")


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after loading.")
    ] = True,
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    media: Annotated[
        bool, typer.Option("--media/--no-media", help="Encode the demo clips for every title.")
    ] = True,
) -> None:
    """Migrate, load the demo catalogue and accounts, then serve on 127.0.0.1."""
    from marquee.demo.catalogue import load_demo
    from marquee.runtime import Runtime

    with Runtime.running(Settings()) as runtime:
        summary = load_demo(runtime, media=media)
    typer.echo(summary)
    if serve_after:
        import subprocess
        import sys

        from marquee.children import die_with_parent

        # One worker process alongside the API, so uploads are processed out of the box;
        # it ends with this process, even one killed by a signal.
        worker_args = [sys.executable, "-m", "marquee.cli", "worker"]
        background = subprocess.Popen(worker_args, preexec_fn=die_with_parent())
        typer.echo(f"Marquee is serving on http://127.0.0.1:{port}")
        try:
            serve(host="127.0.0.1", port=port, workers=1)
        finally:
            background.terminate()
            background.wait(timeout=60)


if __name__ == "__main__":
    app()
