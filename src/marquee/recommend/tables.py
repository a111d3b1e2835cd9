"""Tables written by training and read by serving: candidates, neighbours, popularity."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base, utcnow


class RecCandidate(Base):
    """A title the model would pick for a profile, with its score (precomputed)."""

    __tablename__ = "rec_candidates"

    profile_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class SimilarTitle(Base):
    """Item-item neighbours behind "Because you watched …"."""

    __tablename__ = "similar_titles"

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    similar_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class TitlePopularity(Base):
    """How many profiles engaged with a title, as of the last training run."""

    __tablename__ = "title_popularity"

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class ModelRun(Base):
    __tablename__ = "rec_model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(40))
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    profiles: Mapped[int]
    titles: Mapped[int]
    interactions: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
