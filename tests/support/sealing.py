"""What a stolen backup would show, and values as older versions sealed them."""

from __future__ import annotations

import secrets
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.platform.connection import Connection
from hub.privacy.crypto import UNBOUND, Keyring


async def dump(conn: Connection) -> str:
    """Every row of the tables that hold residents' data and secrets, as text, as a stolen backup
    would show them."""
    parts = []
    for table in (
        "households",
        "signals",
        "batches",
        "events",
        "access_log",
        "cases",
        "partner_webhooks",
    ):
        rows = await conn.fetch(f"select t::text as row from {table} t")  # noqa: S608
        parts.extend(row["row"] for row in rows)
    return "\n".join(parts)


def seal_unbound(keyring: Keyring, plain: bytes, place: str) -> bytes:
    """A value as versions before row binding sealed it (format 1: bound to its place only)."""
    header = struct.pack(">BI", UNBOUND, keyring.current)
    nonce = secrets.token_bytes(12)
    cipher = AESGCM(keyring.keys[keyring.current])
    return header + nonce + cipher.encrypt(nonce, plain, header + place.encode())
