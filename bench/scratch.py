"""A throwaway PostgreSQL schema for a bench: created on a server (TEST_PG_URL), dropped with all it holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@contextmanager
def postgres_schema(server: str, prefix: str) -> Iterator[str]:
    """A database URL whose search path is a new schema named `<prefix>_<random>`; the schema is dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
