"""The hub's keys and its database: that they belong together, sealing rows still plain,
rotation to a new key with re-encryption, and retiring old keys."""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hub.platform.config import Settings, key_path
from hub.platform.locks import lock_for_transaction
from hub.privacy import store
from hub.privacy.crypto import Keyring, KeyringError, load_keyring, use_keyring, write_keyring
from hub.privacy.sealed import (
    ADDRESS,
    BATCH_CONTENT,
    EVENT_NOTE,
    PAYLOAD_DIGEST,
    PERSONAL,
    RETURNED_NOTE,
    SEALED_COLUMNS,
    WEBHOOK_SIGNING,
    event_row,
    personal_value,
)

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

ROW_BINDING = "sealed values bound to their rows"
_KEYS_LOCK = 0x5349474E414C4B59  # any fixed number: one process at a time handles the keys
_CHUNK = 1000


def _environment_keys(settings: Settings) -> str | None:
    return settings.keys.get_secret_value() if settings.keys else None


async def prepare_keys(pool: asyncpg.Pool, settings: Settings) -> Keyring:
    """The keyring this database was sealed with, made the process's own; a new installation
    gets a new key file. Refuses keys that are not the database's, then seals rows left plain
    by an older version of the hub and binds every sealed value to its row (once; after that,
    a value not bound to its row does not open)."""
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _KEYS_LOCK)
        registered = await store.registered_keys(conn)
        keyring = load_keyring(
            _environment_keys(settings), key_path(settings), create=not registered
        )
        _check(keyring, registered)
        await store.register_keys(conn, keyring.fingerprints())
    use_keyring(keyring)
    sealed = await seal_plain_rows(pool, keyring)
    if sealed:
        log.info("sealed %d rows written before personal data was encrypted", sealed)
    async with pool.acquire() as conn:
        bound = await store.upgrade_done(conn, ROW_BINDING)
    if not bound:
        counts = await reseal(pool, keyring)
        log.info("bound %d sealed values to their rows", sum(counts.values()))
        async with pool.acquire() as conn:
            await store.record_upgrade(conn, ROW_BINDING)
    strict = replace(keyring, accept_unbound=False)
    use_keyring(strict)
    return strict


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


def _address_parts(row: Any) -> dict[str, Any]:
    return {
        "postcode": row["postcode"],
        "house_number": row["house_number"],
        "house_letter": row["house_letter"] or None,
        "addition": row["addition"] or None,
    }


async def seal_plain_rows(pool: asyncpg.Pool, keyring: Keyring) -> int:
    """Seal rows written before migration 0008 (plain columns), in chunks; returns the count."""
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.plain_households(conn, _CHUNK)
            if not rows:
                break
            await store.seal_households(
                conn,
                [row["id"] for row in rows],
                [keyring.seal(_address_parts(row), ADDRESS, row["id"]) for row in rows],
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
            rows = await store.plain_signals(conn, _CHUNK)
            if not rows:
                break
            await store.seal_signals(
                conn,
                [row["id"] for row in rows],
                [_personal(keyring, row) for row in rows],
                [keyring.seal(row["returned_reason"], RETURNED_NOTE, row["id"]) for row in rows],
                [
                    bytes(row["payload_digest"])
                    if row["payload_keyed"]
                    else keyring.digest(bytes(row["payload_digest"]), PAYLOAD_DIGEST)
                    for row in rows
                ],
                [_area(row["routed_by"]) for row in rows],
            )
            total += len(rows)
    total += await _seal_event_notes(pool, keyring, only_plain=True)
    async with pool.acquire() as conn:
        for row in await store.plain_batches(conn):
            await store.seal_batch_content(
                conn, row["id"], keyring.seal_bytes(row["content"], BATCH_CONTENT, row["id"])
            )
            total += 1
        for row in await store.plain_webhook_secrets(conn):
            partner = row["partner_id"]
            sealed = keyring.seal_bytes(row["secret"].encode(), WEBHOOK_SIGNING, partner)
            await store.seal_webhook_secret(conn, partner, sealed)
            total += 1
    return total


def _personal(keyring: Keyring, row: Any) -> bytes | None:
    """A signal's sealed personal data with what an older version kept in plain columns."""
    situation = personal_value(
        row["person_name"],
        row["person_birth_date"],
        row["description"],
        row["not_informed_reason"],
        row["client_ref"],
        row["arrears_amount"],
        row["arrears_since"],
        row["invitation_dates"] or (),
    )
    if row["description"] is not None:  # before migration 0008: everything was plain
        return keyring.seal(situation, PERSONAL, row["id"])
    if row["personal"] is None:  # removed by retention: the plain rest goes too
        return None
    plain = (row["arrears_amount"], row["arrears_since"], row["invitation_dates"])
    if all(value is None for value in plain):
        return bytes(row["personal"])
    value = keyring.unseal(row["personal"], PERSONAL, row["id"])
    for key in ("arrears_amount", "arrears_since", "invitations"):
        value[key] = situation[key]
    return keyring.seal(value, PERSONAL, row["id"])


def _area(rule: str | None) -> str | None:
    """A routing rule as a signal keeps it: `2034AB 1-99 even -> SWT-X (..)` -> `2034 -> SWT-X`."""
    if rule is None or not rule[:4].isdigit() or " -> " not in rule:
        return rule
    return f"{rule[:4]} -> {rule.split(' -> ', 1)[1].split(' ', 1)[0]}"


async def _seal_event_notes(pool: asyncpg.Pool, keyring: Keyring, *, only_plain: bool) -> int:
    """Seal events' plain `reason` notes (`only_plain`), or re-seal every note not sealed under
    the current key. The events table allows exactly this change to its rows (migration 0010)."""
    current = keyring.key_header()
    done = 0
    last_id = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.event_notes_after(conn, last_id, _CHUNK)
            if not rows:
                return done
            last_id = rows[-1]["id"]
            changed = []
            for row in rows:
                data = dict(row["data"])
                bound_to = event_row(row["case_id"], row["signal_id"])
                note = data.pop("reason_sealed", None)
                plain = data.pop("reason", None)
                if note is not None:
                    blob = base64.b64decode(note)
                    if only_plain or blob.startswith(current):
                        continue
                    plain = keyring.unseal_bytes(blob, EVENT_NOTE, bound_to).decode()
                if plain is None:
                    continue
                data["reason_sealed"] = base64.b64encode(
                    keyring.seal_bytes(str(plain).encode(), EVENT_NOTE, bound_to)
                ).decode()
                changed.append((row["id"], data))
            if changed:
                await store.replace_event_data(conn, changed)
                done += len(changed)


async def rotate_keys(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    """Add a new current key to the key file, then re-encrypt every sealed value under it.
    The old keys stay in the file (to open anything missed) until `retire_old_keys`."""
    if settings.keys:
        raise KeyringError(
            "the keys come from HUB_KEYS: rotate them in the file, then set HUB_KEYS to it"
        )
    path = key_path(settings)
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _KEYS_LOCK)
        keyring = load_keyring(None, path, create=False)
        _check(keyring, await store.registered_keys(conn))
        rotated = keyring.rotated()
        await store.register_keys(conn, rotated.fingerprints())
        write_keyring(path, rotated)
    use_keyring(rotated)
    return await reseal(pool, rotated)


async def reseal(pool: asyncpg.Pool, keyring: Keyring) -> dict[str, int]:
    """Re-encrypt every value not sealed under the current key, a chunk per transaction."""
    current = keyring.key_header()
    counts: dict[str, int] = {}
    for table, column, key in SEALED_COLUMNS:
        place = f"{table}.{column}"
        counts[place] = 0
        while True:
            async with pool.acquire() as conn, conn.transaction():
                rows = await store.blobs_not_under(conn, table, column, key, current, _CHUNK)
                if not rows:
                    break
                await store.replace_blobs(
                    conn,
                    table,
                    column,
                    key,
                    [row["id"] for row in rows],
                    [
                        keyring.seal_bytes(
                            keyring.unseal_bytes(row["blob"], place, row["id"]), place, row["id"]
                        )
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
        await lock_for_transaction(conn, _KEYS_LOCK)
        keyring = load_keyring(_environment_keys(settings), path, create=False)
        _check(keyring, await store.registered_keys(conn))
        current = keyring.key_header()
        notes = await store.sealed_notes(conn)
        if any(not base64.b64decode(note).startswith(current) for note in notes):
            raise KeyringError(
                "notes in events are still sealed under an old key; "
                "run hub keys rotate to completion first"
            )
        for table, column, _ in SEALED_COLUMNS:
            left = await store.count_not_under(conn, table, column, current)
            if left:
                raise KeyringError(
                    f"{left} values in {table}.{column} are still sealed under an old key; "
                    "run hub keys rotate to completion first"
                )
        old = sorted(key_id for key_id in keyring.keys if key_id != keyring.current)
        await store.unregister_keys_except(conn, [0, keyring.current])
        if not settings.keys:
            write_keyring(path, keyring.without_old_keys())
    return old
