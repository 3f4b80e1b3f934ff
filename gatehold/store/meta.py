"""Facts about the store: the operator-key check and the authorization generation."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from gatehold.store import schema
from gatehold.store.secretbox import SecretBox, SecretBoxError

_KEY_CHECK = "key_check"
_KEY_CHECK_AAD = b"gatehold:key-check"


def record_key_check(conn: Connection, box: SecretBox) -> None:
    sealed = box.seal(b"gatehold", _KEY_CHECK_AAD).hex()
    conn.execute(schema.meta.insert().values(key=_KEY_CHECK, value=sealed))


def key_matches(conn: Connection, box: SecretBox) -> bool:
    """False when the store was sealed with another operator key."""
    row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == _KEY_CHECK)).first()
    if row is None:
        return True
    try:
        box.open(bytes.fromhex(row[0]), _KEY_CHECK_AAD)
    except SecretBoxError:
        return False
    return True


def is_initialized(conn: Connection) -> bool:
    return (
        conn.execute(select(schema.meta.c.key).where(schema.meta.c.key == _KEY_CHECK)).first()
        is not None
    )


def bump_generation(conn: Connection, account_id: str) -> None:
    """Note a change that can alter authorization decisions in this account."""
    g = schema.generations
    conn.execute(g.update().where(g.c.account_id == account_id).values(value=g.c.value + 1))


# Read on every authorized request: built once (see access_keys._KEY_WITH_OWNER).
_GENERATION = select(schema.generations.c.value).where(
    schema.generations.c.account_id == bindparam("account_id")
)


def generation(conn: Connection, account_id: str) -> int:
    row = conn.execute(_GENERATION, {"account_id": account_id}).first()
    return int(row[0]) if row else 0


# The generation read every request makes (generation()'s query), sent straight
# through the DB-API connection of the request's own transaction: on this hot path
# SQLAlchemy's statement building and execution cost far more than the indexed
# read itself (bench/README.md has the figures).
_GENERATION_SQL = {
    "sqlite": "SELECT value FROM generations WHERE account_id = ?",
    "postgresql": "SELECT value FROM generations WHERE account_id = %s",
}


def authorization_generation(conn: Connection, account_id: str) -> int:
    """The account's generation as generation() reads it, by the cheapest route the
    database allows: the enforcer reads it on every authorized request."""
    sql = _GENERATION_SQL.get(conn.dialect.name)
    if sql is None:  # another database: the portable (slower) read
        return generation(conn, account_id)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (account_id,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return int(row[0]) if row else 0
