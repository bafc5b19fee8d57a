"""Database plumbing: engines, sessions and column types.

Every table uses `ExactNumeric` for decimals and `UtcDateTime` for instants, so that the
embedded default (SQLite) keeps what PostgreSQL keeps: decimals exactly, instants in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Numeric, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

Id = BigInteger().with_variant(Integer(), "sqlite")


class ExactNumeric(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale) on PostgreSQL; on SQLite an integer count of the last unit.

    SQLite has no decimal type: a NUMERIC column there holds binary floating point, which
    loses fen from sixteen digits on. A whole number of fen (or of millionths, for a rate)
    is exact in SQLite's 64-bit integers, compares and adds in SQL like the decimal does.
    Values are rounded half up to the scale, as PostgreSQL rounds them.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.digits = precision
        self.places = scale
        self.unit = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.digits, self.places, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(self.unit, rounding=ROUND_HALF_UP)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.places))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.places).quantize(self.unit)
        return Decimal(value).quantize(self.unit)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored and returned as timezone-aware UTC on every database.

    PostgreSQL keeps `timestamptz`; SQLite keeps text without an offset, so the instant is
    converted to UTC before it is written and read back as UTC. A naive datetime is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"instants are stored with a UTC offset, got {value!r}")
        instant = value.astimezone(UTC)
        return instant.replace(tzinfo=None) if dialect.name == "sqlite" else instant

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self


def create_engine(
    url: str, *, echo: bool = False, idle_in_transaction_seconds: float | None = None
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout.

    On PostgreSQL, `idle_in_transaction_seconds` ends a session that stays idle inside a
    transaction for longer (a frozen or stalled process), releasing the row locks it held so
    that it cannot hold the other replicas up.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args: dict[str, Any] = {"prepared_statement_cache_size": 500}
    if idle_in_transaction_seconds is not None:
        timeout_ms = str(max(1, round(idle_in_transaction_seconds * 1000)))
        connect_args["server_settings"] = {"idle_in_transaction_session_timeout": timeout_ms}
    return create_async_engine(
        url, echo=echo, pool_size=20, max_overflow=10, connect_args=connect_args
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: object) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def ping(engine: AsyncEngine) -> None:
    """Round-trip to the database; raises when it is unreachable."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
