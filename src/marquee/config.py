"""One Settings object, read from MARQUEE_* environment variables, with embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "marquee-development-secret-do-not-use-in-production"
DEV_MASTER_KEY = "ZGV2LW1hc3Rlci1rZXktbm90LWZvci1wcm9kLXVzZSE="  # base64 of 32 dev bytes
DEV_MEDIA_LINK_SECRET = "marquee-development-media-link-secret"


class Settings(BaseSettings):
    """Everything an operator can set. Built once by the app factory or CLI, then passed in."""

    model_config = SettingsConfigDict(env_prefix="MARQUEE_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    media_dir: Path | None = None
    redis_url: str | None = None

    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "marquee"
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None

    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    # Extra modules whose `JOBS` the worker registers, comma-separated (e.g. plugins, tests).
    job_modules: str = ""
    event_retention_days: int = Field(default=400, ge=1)

    # How ingest picks a title's renditions: trial encodes and their VMAF hull, or one table.
    ladder: Literal["per-title", "fixed"] = "per-title"

    upload_max_bytes: int = Field(default=200 * 1024**3, gt=0)
    upload_expiry_seconds: int = Field(default=24 * 3600, gt=0)
    # Bytes buffered per stored part of an upload; raised to the store's minimum (5 MiB on S3).
    upload_part_bytes: int = Field(default=8 * 1024**2, gt=0)

    secret_key: SecretStr = SecretStr(DEV_SECRET)
    master_key: SecretStr = SecretStr(DEV_MASTER_KEY)
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)

    # Shared with the edge (nginx `secure_link_md5`) so that it can check media links alone.
    media_link_secret: SecretStr = SecretStr(DEV_MEDIA_LINK_SECRET)
    # Where players fetch media: "" serves it from this app; a CDN edge in production.
    media_base_url: str = ""
    playback_link_ttl_seconds: int = Field(default=6 * 3600, gt=0)
    # A stream slot is freed when its session stops or stays silent this long.
    playback_idle_seconds: int = Field(default=120, gt=0)
    playback_heartbeat_seconds: int = Field(default=10, gt=0)

    login_attempts_per_account: int = Field(default=5, gt=0)
    login_attempts_per_ip: int = Field(default=30, gt=0)
    login_window_seconds: int = Field(default=300, gt=0)

    trial_days: int = Field(default=14, ge=0)
    trial_plan: str = "standard"

    country_header: str | None = "CloudFront-Viewer-Country"
    country_cidrs: dict[str, str] = Field(default_factory=dict)
    default_country: str = Field(default="US", min_length=2, max_length=2)

    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    json_logs: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env == "production":
            if self.secret_key.get_secret_value() == DEV_SECRET:
                raise ValueError("MARQUEE_SECRET_KEY must be set in production")
            if self.master_key.get_secret_value() == DEV_MASTER_KEY:
                raise ValueError("MARQUEE_MASTER_KEY must be set in production")
            if self.media_link_secret.get_secret_value() == DEV_MEDIA_LINK_SECRET:
                raise ValueError("MARQUEE_MEDIA_LINK_SECRET must be set in production")
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
