"""Turning psycopg failures into runners-core errors that name the URL and the fix.

Connection trouble (server down, restarting, network) becomes
:class:`RetryableBackendError`; configuration trouble (credentials, missing
database, old server, foreign tables) becomes :class:`BackendError`. Messages
carry the redacted URL, never the password.
"""

from __future__ import annotations

from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from runners_core.errors import BackendError, RetryableBackendError, RunnersError, ValidationError
from runners_core.redaction import redact, secrets_in
from runners_postgres.settings import PostgresSettings

# SQLSTATE classes that mean "try again": connection exceptions, operator intervention
# (shutdown, restart, cancel), insufficient resources, and transaction rollbacks.
_RETRYABLE_CLASSES = ("08", "57", "53", "40")
_CONNECTION_LOST_HINTS = (
    "server closed the connection",
    "consuming input failed",
    "connection is lost",
    "connection is closed",
    "terminating connection",
    "connection to server",
    "the connection is bad",
    "sending query failed",
)


def connect_error(exc: Exception, settings: PostgresSettings) -> BackendError:
    """The error for a failed attempt to open a connection."""
    url = settings.redacted
    detail = _detail(exc, settings)
    lowered = detail.lower()
    if "password authentication failed" in lowered or (
        "role" in lowered and "does not exist" in lowered
    ):
        return BackendError(
            f"PostgreSQL at {url} rejected the credentials ({detail}); check the user name "
            "and password in the URL (or PGPASSWORD / ~/.pgpass) and that the role exists"
        )
    if "database" in lowered and "does not exist" in lowered:
        return BackendError(
            f"the database named in {url} does not exist ({detail}); create it "
            "(createdb NAME, or CREATE DATABASE) or fix the database name in the URL"
        )
    if "no pg_hba.conf entry" in lowered or "permission denied" in lowered:
        return BackendError(
            f"PostgreSQL at {url} refused this client ({detail}); ask the database "
            "administrator to allow it (pg_hba.conf, GRANT CONNECT)"
        )
    if "unrecognized configuration parameter" in lowered or (
        "invalid value for parameter" in lowered
    ):
        return BackendError(
            f"PostgreSQL at {url} refused a setting given in the URL's options= parameter "
            f"({detail}); correct or remove that setting"
        )
    if "too many connections for role" in lowered:
        return RetryableBackendError(
            f"PostgreSQL at {url}: the role has reached its connection limit ({detail}); "
            "retry later, lower pool_max in the URLs of the services using this role, or "
            "raise the role's limit (ALTER ROLE ... CONNECTION LIMIT)"
        )
    if "too many clients" in lowered or "connection slots are reserved" in lowered:
        return RetryableBackendError(
            f"PostgreSQL at {url} has no connection slots left: too many clients ({detail}); "
            "retry later, lower pool_max in the URLs of the services sharing the server, or "
            "raise the server's max_connections"
        )
    return RetryableBackendError(
        f"cannot connect to PostgreSQL at {url} ({detail}); check that the server is "
        "running and that the host and port in the URL are right, then retry"
    )


def operation_error(exc: Exception, settings: PostgresSettings, action: str) -> RunnersError:
    """The error for a failure while *action* (e.g. "appending an event") was under way."""
    url = settings.redacted
    detail = _detail(exc, settings)
    if isinstance(exc, pg_errors.DataError) and (
        "nul" in detail.lower() or isinstance(exc, pg_errors.UntranslatableCharacter)
    ):
        return ValidationError(
            f"PostgreSQL cannot store a value while {action} ({detail}): its text and jsonb "
            "types cannot hold the NUL character (\\x00 / \\u0000); remove it from the value"
        )
    if isinstance(exc, PoolTimeout):
        return RetryableBackendError(
            f"no connection to PostgreSQL at {url} became available for {action} within "
            f"{settings.pool_timeout:g}s ({detail}); the server may be down or restarting, or "
            "all pool_max connections are busy. Retry, or raise pool_max / pool_timeout"
        )
    if isinstance(exc, pg_errors.UndefinedTable | pg_errors.UndefinedColumn):
        return BackendError(
            f"the runners-postgres tables in schema {settings.schema!r} of {url} are missing "
            f"or incomplete ({detail}); run `runners postgres migrate` with this URL"
        )
    if _is_retryable(exc, detail):
        return RetryableBackendError(
            f"lost the connection to PostgreSQL at {url} while {action} ({detail}). The "
            "server may be restarting; retry the call (appends are idempotent by event id, so "
            "repeating one that did reach the server stores it once)"
        )
    return BackendError(f"PostgreSQL at {url} failed while {action}: {detail}")


def foreign_tables_error(settings: PostgresSettings, detail: str) -> BackendError:
    return BackendError(
        f"schema {settings.schema!r} of {settings.redacted} already holds tables that "
        f"runners-postgres did not create ({detail}); choose another schema with ?schema=NAME"
    )


def _is_retryable(exc: Exception, detail: str) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _RETRYABLE_CLASSES
    lowered = detail.lower()
    return any(hint in lowered for hint in _CONNECTION_LOST_HINTS) or isinstance(
        exc, pg_errors.OperationalError | pg_errors.InterfaceError
    )


def _detail(exc: Exception, settings: PostgresSettings) -> str:
    """The first line of the driver's message, with any secret scrubbed if echoed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(text, secrets_in(settings.url, settings.conninfo))
