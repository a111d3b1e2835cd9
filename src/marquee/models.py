"""Every domain's tables, imported in one place for Alembic and test fixtures."""

from marquee.accounts import models as accounts_models
from marquee.catalog import models as catalog_models
from marquee.db import Base
from marquee.downloads import models as downloads_models
from marquee.events import aggregates as events_aggregates
from marquee.events import models as events_models
from marquee.jobs import models as jobs_models
from marquee.library import models as library_models
from marquee.playback import models as playback_models
from marquee.recommend import tables as recommend_tables
from marquee.search import models as search_models
from marquee.uploads import models as ingest_uploads_models
from marquee.versions import models as ingest_models

__all__ = [
    "Base",
    "accounts_models",
    "catalog_models",
    "downloads_models",
    "events_aggregates",
    "events_models",
    "ingest_models",
    "ingest_uploads_models",
    "jobs_models",
    "library_models",
    "playback_models",
    "recommend_tables",
    "search_models",
]
