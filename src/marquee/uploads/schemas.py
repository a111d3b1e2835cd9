"""Shapes the uploads domain hands to others: the ingest job's payload, queued on completion."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class IngestPayload(BaseModel):
    """What a completed master upload queues for the ingest job (see ingest/tasks.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    upload_id: uuid.UUID
    title_id: uuid.UUID
    episode_id: uuid.UUID | None = None
