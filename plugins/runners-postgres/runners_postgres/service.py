"""What the three PostgreSQL services share: a database built from the URL, closed with them."""

from __future__ import annotations

from typing import Any, ClassVar

from runners_postgres.database import Database
from runners_postgres.settings import parse_url


class PostgresService:
    """Mixin placed before a runners-core base class: ``class X(PostgresService, BaseY)``.

    Keyword options named in :attr:`base_options` go to the base class (its size
    limits); the rest are URL options (see :mod:`runners_postgres.settings`).
    """

    base_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, url: str, **options: Any) -> None:
        base = {k: options.pop(k) for k in self.base_options if k in options}
        super().__init__(**base)
        self._db = Database(parse_url(url, **options))

    @property
    def database(self) -> Database:
        return self._db

    async def close(self) -> None:
        """Close the connection pools of every event loop this service was used on."""
        await self._db.close()
