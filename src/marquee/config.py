"""One Settings object, read from MARQUEE_* environment variables, with embedded defaults."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from marquee import local_secrets

# Values that once shipped as defaults. Anyone can read them, so nothing may be signed with
# them, in any environment: a deployment still configured with one is refused at start.
PUBLISHED_SECRETS = frozenset(
    {
        "marquee-development-secret-do-not-use-in-production",
        "ZGV2LW1hc3Rlci1rZXktbm90LWZvci1wcm9kLXVzZSE=",
        "marquee-development-media-link-secret",
    }
)
SECRET_FIELDS = ("secret_key", "master_key", "media_link_secret")


class Settings(BaseSettings):
    """Everything an operator can set. Built once by the app factory or CLI, then passed in."""

    model_config = SettingsConfigDict(env_prefix="MARQUEE_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    media_dir: Path | None = None
    redis_url: str | None = None
    # A Redis that is down or frozen must cost a request well under a second, not 5 s+.
    redis_connect_timeout_seconds: float = Field(default=0.5, gt=0)
    redis_socket_timeout_seconds: float = Field(default=0.5, gt=0)
    # With Redis unreachable, rate limits either refuse (503: no unchecked password guesses)
    # or fall back to per-process limits ("open": sign-ins keep working, limits per replica).
    rate_limit_failure: Literal["closed", "open"] = "closed"

    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "marquee"
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    # Short, so that a store that is down answers 503 quickly; a read is one socket read.
    s3_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=5.0, gt=0)
    # Attempts per S3 call, the first included (botocore's standard retry mode).
    s3_max_attempts: int = Field(default=2, ge=1)

    # Retry-After on a 503 for a dependency that is down; /readyz reuses its probe this long.
    unavailable_retry_after_seconds: int = Field(default=2, gt=0)
    ready_cache_seconds: float = Field(default=1.5, ge=0)
    # Threads per API process for the plain-function routes (each a database unit of work).
    # Few: the work holds the GIL or waits on the database, so more threads only take turns
    # at the GIL and queue on SQLite's write lock (a burst of 200 starts cost a third more CPU
    # each with 40 than with 4). Raise it when the routes wait on a slow remote store.
    api_threads: int = Field(default=4, ge=1)

    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    # Extra modules whose `JOBS` the worker registers, comma-separated (e.g. plugins, tests).
    job_modules: str = ""
    # Where a worker serves its Prometheus /metrics (None: it serves none).
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    event_retention_days: int = Field(default=400, ge=1)
    # Succeeded and dead jobs are deleted this long after they finished (the outbox included).
    job_retention_days: float = Field(default=7.0, gt=0)

    # How ingest picks a title's renditions: trial encodes and their VMAF hull, or one table.
    ladder: Literal["per-title", "fixed"] = "per-title"
    # Video codecs to encode, comma-separated: "h264" (always there), "hevc", "av1". Each
    # extra codec gets its own ladder; a session plays the most efficient its device decodes.
    video_codecs: str = Field(
        default="h264", pattern=r"^\s*(h264|hevc|av1)(\s*,\s*(h264|hevc|av1))*\s*$"
    )
    # Masters longer than this are encoded in chunks of about this length, each kept in the
    # store once done, so that a retried ingest encodes only what is missing; 0: one pass.
    encode_chunk_seconds: float = Field(default=20.0, ge=0)

    upload_max_bytes: int = Field(default=200 * 1024**3, gt=0)
    upload_expiry_seconds: int = Field(default=24 * 3600, gt=0)
    # Bytes buffered per stored part of an upload; raised to the store's minimum (5 MiB on S3).
    upload_part_bytes: int = Field(default=8 * 1024**2, gt=0)
    # The most one tus PATCH may carry; a client sends a large master as several chunks.
    upload_chunk_max_bytes: int = Field(default=64 * 1024**2, gt=0)

    # Bodies are counted as they arrive and refused past these, before anything parses them.
    json_body_max_bytes: int = Field(default=1024**2, gt=0)
    events_body_max_bytes: int = Field(default=4 * 1024**2, gt=0)

    # Outside production, left unset, these are generated once into var/secrets.json.
    secret_key: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    master_key: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)

    # Shared with the edge (nginx `secure_link_md5`) so that it can check media links alone.
    media_link_secret: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    # Where players fetch media: "" serves it from this app; a CDN edge in production.
    media_base_url: str = ""
    # One media link's life; heartbeats renew it, so a stopped session's media stops this soon.
    playback_link_ttl_seconds: int = Field(default=45, gt=0, le=3600)
    # A licence token's life from its start or the heartbeat that renewed it.
    playback_license_ttl_seconds: int = Field(default=6 * 3600, gt=0)
    # A stream slot is freed when its session stops or stays silent this long.
    playback_idle_seconds: int = Field(default=120, gt=0)
    playback_heartbeat_seconds: int = Field(default=10, gt=0)
    # How long a download plays offline until renewed online, and once its playback has
    # started (renewals restart the clock); the client enforces both on the stored copy.
    download_expiry_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    download_played_expiry_seconds: int = Field(default=48 * 3600, gt=0)

    login_attempts_per_account: int = Field(default=5, gt=0)
    login_attempts_per_ip: int = Field(default=30, gt=0)
    login_window_seconds: int = Field(default=300, gt=0)
    registrations_per_ip: int = Field(default=5, gt=0)
    registration_window_seconds: int = Field(default=3600, gt=0)
    profile_pin_attempts: int = Field(default=5, gt=0)
    profile_pin_window_seconds: int = Field(default=900, gt=0)
    # zxcvbn's 0-4 scale: 3 is "safely unguessable" against an online attack.
    password_min_score: int = Field(default=3, ge=0, le=4)

    trial_days: int = Field(default=14, ge=0)
    trial_plan: str = "standard"

    # Proxies (CIDRs) whose country header and X-Forwarded-For are believed; nobody by default.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    country_header: str | None = "CloudFront-Viewer-Country"
    country_cidrs: dict[str, str] = Field(default_factory=dict)
    default_country: str = Field(default="US", min_length=2, max_length=2)

    # /metrics on the API port answers only `Authorization: Bearer <metrics_token>`; with no
    # token it is not served there at all, unless `metrics_public` is set (a private network).
    metrics_token: SecretStr | None = None
    metrics_public: bool = False

    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    json_logs: bool = True

    @model_validator(mode="before")
    @classmethod
    def _local_secrets(cls, data: Any) -> Any:
        """Outside production, fill unset secrets from var/ (made on first use, mode 0600)."""
        if not isinstance(data, dict):
            return data
        if str(data.get("env", "development")) == "production":
            return data
        missing = [name for name in SECRET_FIELDS if data.get(name) is None]
        if missing:
            stored = local_secrets.load_or_create(Path(data.get("var_dir") or "var"))
            for name in missing:
                data[name] = stored[name]
        return data

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        for name in SECRET_FIELDS:
            secret = getattr(self, name, None)
            variable = f"MARQUEE_{name.upper()}"
            if not isinstance(secret, SecretStr):
                raise ValueError(f"{variable} must be set in production")
            if secret.get_secret_value() in PUBLISHED_SECRETS:
                raise ValueError(f"{variable} is a published value; set a secret of your own")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("MARQUEE_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'marquee.db'}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
