"""The hub's keys and its database: that they belong together, sealing rows still plain,
rotation to a new key with re-encryption, and retiring old keys."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from hub.config import Settings, key_path
from hub.crypto import Keyring, KeyringError, load_keyring, use_keyring, write_keyring
from hub.store import Connection
from hub.store.signals import EVENT_NOTE, personal_value

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

# Every sealed column, as (table, column); the place a value is bound to is "table.column".
SEALED: tuple[tuple[str, str], ...] = (
    ("households", "address"),
    ("signals", "personal"),
    ("signals", "returned_note"),
    ("batches", "content"),
)
_KEYS_LOCK = 0x5349474E414C4B59  # any fixed number: one process at a time handles the keys
_CHUNK = 1000


def _environment_keys(settings: Settings) -> str | None:
    return settings.keys.get_secret_value() if settings.keys else None


async def prepare_keys(pool: asyncpg.Pool, settings: Settings) -> Keyring:
    """The keyring this database was sealed with, made the process's own; a new installation
    gets a new key file. Refuses keys that are not the database's, then seals rows left plain
    by an older version of the hub."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _KEYS_LOCK)
        registered = await _registered(conn)
        keyring = load_keyring(
            _environment_keys(settings), key_path(settings), create=not registered
        )
        _check(keyring, registered)
        await _register(conn, keyring)
    use_keyring(keyring)
    sealed = await seal_plain_rows(pool, keyring)
    if sealed:
        log.info("sealed %d rows written before personal data was encrypted", sealed)
    return keyring


async def _registered(conn: Connection) -> dict[int, bytes]:
    rows = await conn.fetch("select key_id, fingerprint from encryption_keys")
    return {row["key_id"]: bytes(row["fingerprint"]) for row in rows}


def _check(keyring: Keyring, registered: dict[int, bytes]) -> None:
    where = str(keyring.source) if keyring.source else "HUB_KEYS"
    marks = keyring.fingerprints()
    for key_id, fingerprint in sorted(registered.items()):
        name = "the index key" if key_id == 0 else f"key {key_id}"
        if key_id not in marks:
            raise KeyringError(
                f"this database holds data sealed with {name}, which {where} lacks; "
                "restore the key file that belongs to this database"
            )
        if marks[key_id] != fingerprint:
            raise KeyringError(
                f"{name} in {where} is not the one this database was sealed with; "
                "restore the key file that belongs to this database"
            )


async def _register(conn: Connection, keyring: Keyring) -> None:
    marks = keyring.fingerprints()
    await conn.execute(
        """
        insert into encryption_keys (key_id, fingerprint)
        select * from unnest($1::int[], $2::bytea[]) on conflict (key_id) do nothing
        """,
        list(marks),
        list(marks.values()),
    )


async def seal_plain_rows(pool: asyncpg.Pool, keyring: Keyring) -> int:
    """Seal rows written before migration 0008 (plain columns), in chunks; returns the count."""
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "select id, postcode, house_number, house_letter, addition from households "
                "where address is null and postcode is not null limit $1 for update",
                _CHUNK,
            )
            if not rows:
                break
            await conn.execute(
                """
                update households h set address = u.address, address_digest = u.digest,
                    postcode = null, house_number = null, house_letter = '', addition = ''
                from unnest($1::uuid[], $2::bytea[], $3::bytea[]) as u (id, address, digest)
                where h.id = u.id
                """,
                [row["id"] for row in rows],
                [keyring.seal(_address_parts(row), "households.address") for row in rows],
                [
                    keyring.address_digest(
                        (row["postcode"], row["house_number"], row["house_letter"], row["addition"])
                    )
                    for row in rows
                ],
            )
            total += len(rows)
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
                select id, person_name, person_birth_date, description, not_informed_reason,
                       client_ref, returned_reason
                from signals where description is not null or returned_reason is not null
                limit $1 for update
                """,
                _CHUNK,
            )
            if not rows:
                break
            await conn.execute(
                """
                update signals s set personal = coalesce(u.personal, s.personal),
                    returned_note = u.note, person_name = null, person_birth_date = null,
                    description = null, not_informed_reason = null, client_ref = null,
                    returned_reason = null
                from unnest($1::uuid[], $2::bytea[], $3::bytea[]) as u (id, personal, note)
                where s.id = u.id
                """,
                [row["id"] for row in rows],
                [
                    keyring.seal(personal_fields(row), "signals.personal")
                    if row["description"] is not None
                    else None
                    for row in rows
                ],
                [keyring.seal(row["returned_reason"], "signals.returned_note") for row in rows],
            )
            total += len(rows)
    total += await _seal_event_notes(pool, keyring, only_plain=True)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select id, content from batches where content is not null and not content_sealed"
        )
        for row in rows:
            await conn.execute(
                "update batches set content = $2, content_sealed = true where id = $1",
                row["id"],
                keyring.seal_bytes(row["content"], "batches.content"),
            )
        total += len(rows)
    return total


async def _seal_event_notes(pool: asyncpg.Pool, keyring: Keyring, *, only_plain: bool) -> int:
    """Seal events' plain `reason` notes (`only_plain`), or re-seal every note not sealed under
    the current key. The events table allows exactly this change to its rows (migration 0010)."""
    current = keyring.key_header()
    done = 0
    last_id = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "select id, data from events where (data ? 'reason' or data ? 'reason_sealed') "
                "and id > $1 order by id limit $2",
                last_id,
                _CHUNK,
            )
            if not rows:
                return done
            last_id = rows[-1]["id"]
            changed = []
            for row in rows:
                data = dict(row["data"])
                note = data.pop("reason_sealed", None)
                plain = data.pop("reason", None)
                if note is not None:
                    blob = base64.b64decode(note)
                    if only_plain or blob.startswith(current):
                        continue
                    plain = keyring.unseal_bytes(blob, EVENT_NOTE).decode()
                if plain is None:
                    continue
                data["reason_sealed"] = base64.b64encode(
                    keyring.seal_bytes(str(plain).encode(), EVENT_NOTE)
                ).decode()
                changed.append((row["id"], data))
            if changed:
                await conn.execute(
                    "update events e set data = u.data from unnest($1::bigint[], $2::jsonb[]) "
                    "as u (id, data) where e.id = u.id",
                    [event_id for event_id, _ in changed],
                    [data for _, data in changed],
                )
                done += len(changed)


def _address_parts(row: Any) -> dict[str, Any]:
    return {
        "postcode": row["postcode"],
        "house_number": row["house_number"],
        "house_letter": row["house_letter"] or None,
        "addition": row["addition"] or None,
    }


def personal_fields(row: Any) -> dict[str, Any]:
    """A pre-0008 row's plain columns as the sealed `personal` value."""
    return personal_value(
        row["person_name"],
        row["person_birth_date"],
        row["description"],
        row["not_informed_reason"],
        row["client_ref"],
    )


async def rotate_keys(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    """Add a new current key to the key file, then re-encrypt every sealed value under it.
    The old keys stay in the file (to open anything missed) until `retire_old_keys`."""
    if settings.keys:
        raise KeyringError(
            "the keys come from HUB_KEYS: rotate them in the file, then set HUB_KEYS to it"
        )
    path = key_path(settings)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _KEYS_LOCK)
        keyring = load_keyring(None, path, create=False)
        _check(keyring, await _registered(conn))
        rotated = keyring.rotated()
        await _register(conn, rotated)
        write_keyring(path, rotated)
    use_keyring(rotated)
    return await reseal(pool, rotated)


async def reseal(pool: asyncpg.Pool, keyring: Keyring) -> dict[str, int]:
    """Re-encrypt every value not sealed under the current key, a chunk per transaction."""
    current = keyring.key_header()
    counts: dict[str, int] = {}
    for table, column in SEALED:
        place = f"{table}.{column}"
        counts[place] = 0
        while True:
            async with pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(
                    f"select id, {column} as blob from {table} "  # noqa: S608 - names from SEALED
                    f"where {column} is not null and substring({column} from 1 for {len(current)})"
                    " <> $1 limit $2 for update",
                    current,
                    _CHUNK,
                )
                if not rows:
                    break
                await conn.execute(
                    f"update {table} t set {column} = u.blob "  # noqa: S608 - names from SEALED
                    "from unnest($1::uuid[], $2::bytea[]) as u (id, blob) where t.id = u.id",
                    [row["id"] for row in rows],
                    [
                        keyring.seal_bytes(keyring.unseal_bytes(row["blob"], place), place)
                        for row in rows
                    ],
                )
                counts[place] += len(rows)
    counts[EVENT_NOTE] = await _seal_event_notes(pool, keyring, only_plain=False)
    return counts


async def retire_old_keys(pool: asyncpg.Pool, settings: Settings) -> list[int]:
    """Drop every key but the current from the key file, once nothing is sealed under them."""
    path = key_path(settings)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _KEYS_LOCK)
        keyring = load_keyring(_environment_keys(settings), path, create=False)
        _check(keyring, await _registered(conn))
        current = keyring.key_header()
        notes = await conn.fetch(
            "select data->>'reason_sealed' as note from events where data ? 'reason_sealed'"
        )
        if any(not base64.b64decode(row["note"]).startswith(current) for row in notes):
            raise KeyringError(
                "notes in events are still sealed under an old key; "
                "run hub keys rotate to completion first"
            )
        for table, column in SEALED:
            left = await conn.fetchval(
                f"select count(*) from {table} where {column} is not null "  # noqa: S608 - names from SEALED
                f"and substring({column} from 1 for {len(current)}) <> $1",
                current,
            )
            if left:
                raise KeyringError(
                    f"{left} values in {table}.{column} are still sealed under an old key; "
                    "run hub keys rotate to completion first"
                )
        old = sorted(key_id for key_id in keyring.keys if key_id != keyring.current)
        await conn.execute(
            "delete from encryption_keys where key_id <> all($1::int[])",
            [0, keyring.current],
        )
        if not settings.keys:
            write_keyring(path, keyring.without_old_keys())
    return old
