"""Search and discovery: one Index protocol, an embedded engine and a PostgreSQL backend."""
