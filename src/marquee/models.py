"""Every domain's tables, imported in one place for Alembic and test fixtures."""

from marquee.accounts import models as accounts_models
from marquee.db import Base

__all__ = ["Base", "accounts_models"]
