"""The app as `marquee serve` runs it (uvicorn, no logging config of its own), with one route
that fails: `python -m tests.observability.boom_server DATABASE_URL VAR_DIR PORT`."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from marquee.app import create_app
from marquee.config import Settings


def main() -> None:
    url, var_dir, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    settings = Settings(env="test", database_url=url, var_dir=var_dir, json_logs=True)
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom in the handler")

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
