"""Personal data at rest: AES-GCM with keys kept outside the database, and a keyed address hash.

A keyring holds numbered data keys (one is current) and an index key. `seal` encrypts with the
current key; a sealed value names its key, so values sealed under an older key still open, and
`hub keys rotate` re-encrypts them under a new one. Each value is bound to its place (table and
column) and its row (the row's key) as associated data, so a sealed name cannot be passed off as
a description, nor one resident's address as another's.

Households are matched by `address_digest`, an HMAC-SHA256 of the normalised address under the
index key: equal addresses give equal digests, yet the database holds no plain address.

Keys come from `HUB_KEYS` (the key file's JSON) or the key file (`HUB_KEY_FILE`, by default
`<data_dir>/keys.json`, created with mode 0600 on first start of a new installation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic_core import to_json

from hub.platform.randomness import random_bytes

VERSION = 2  # bound to its place and its row
UNBOUND = 1  # bound to its place only: written before values were bound to their rows
_HEADER = struct.Struct(">BI")  # format version, key id
_NONCE_BYTES = 12
_TAG_BYTES = 16
_LARGE = 1 << 16  # bytes: above this a value is hashed in place


class KeyringError(Exception):
    """Keys missing, malformed or not the ones the data was sealed with."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[int, bytes]
    current: int
    index_key: bytes
    source: Path | None = field(default=None, compare=False)
    # Values sealed before row binding open until the database holds none (`hub.privacy.keys`).
    accept_unbound: bool = field(default=True, compare=False)
    # A cipher per key id, made once: a batch seals two values a row.
    _ciphers: dict[int, AESGCM] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyringError(f"the current key {self.current} is not in the keyring")
        if any(len(key) != 32 for key in self.keys.values()) or len(self.index_key) != 32:
            raise KeyringError("every key is 32 bytes (AES-256), written in base64")

    def seal(self, value: Any, place: str, row: object) -> bytes | None:
        """`value` as JSON, sealed under the current key and bound to `place` and `row`; None
        stays None."""
        if value is None:
            return None
        # Compact JSON, written by pydantic-core: a fifth of the time of `json.dumps` (a batch
        # seals two values a row); what `unseal` reads back is the same (dates, decimals and
        # ids as strings, other unknown types by `str`).
        return self.seal_bytes(to_json(value, fallback=str), place, row)

    def unseal(self, blob: bytes | None, place: str, row: object) -> Any:
        return None if blob is None else json.loads(self.unseal_bytes(blob, place, row))

    def seal_bytes(self, plain: bytes, place: str, row: object) -> bytes:
        """Sealed under the current key and bound to `place` (table.column) and `row` (the
        row's key): a value copied to another column or another row does not open."""
        header = self.key_header()
        nonce = random_bytes(_NONCE_BYTES)
        sealed = self._cipher(self.current).encrypt(nonce, plain, _bound(header, place, row))
        return header + nonce + sealed

    def seal_into_buffer(self, plain: bytes | bytearray, place: str, row: object) -> bytearray:
        """As `seal_bytes`, written into one buffer: for a large value, no second copy."""
        header = self.key_header()
        nonce = random_bytes(_NONCE_BYTES)
        start = len(header) + _NONCE_BYTES
        sealed = bytearray(start + len(plain) + _TAG_BYTES)
        sealed[: len(header)] = header
        sealed[len(header) : start] = nonce
        self._cipher(self.current).encrypt_into(
            nonce, plain, _bound(header, place, row), memoryview(sealed)[start:]
        )
        return sealed

    def _cipher(self, key_id: int) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher

    def unseal_bytes(self, blob: bytes, place: str, row: object) -> bytes:
        version, key_id = _HEADER.unpack_from(blob)
        header = blob[: _HEADER.size]
        if version == VERSION:
            associated = _bound(header, place, row)
        elif version == UNBOUND and self.accept_unbound:
            associated = header + place.encode()
        else:
            raise KeyringError(f"sealed with format {version}, which this hub does not open")
        if key_id not in self.keys:
            raise KeyringError(f"sealed with key {key_id}, which is not in the keyring")
        nonce = blob[_HEADER.size : _HEADER.size + _NONCE_BYTES]
        sealed = memoryview(blob)[_HEADER.size + _NONCE_BYTES :]  # no copy of a large file
        try:
            return self._cipher(key_id).decrypt(nonce, sealed, associated)
        except InvalidTag:
            raise KeyringError(
                f"a value in {place} does not open with key {key_id} in this row"
            ) from None

    def address_digest(self, household_key: tuple[str, int, str, str]) -> bytes:
        """The keyed hash households are matched by: equal addresses, equal digests."""
        normalised = "|".join(map(str, household_key)).upper()
        return hmac.digest(self.index_key, normalised.encode(), "sha256")

    def digest(self, data: str | bytes | bytearray, purpose: str) -> bytes:
        """A keyed hash of `data` for `purpose` (a login counter's key, a file's identity): what
        it was made of cannot be recovered, not even by trying every guess, without the index
        key."""
        raw = data.encode() if isinstance(data, str) else data
        if len(raw) > _LARGE:  # a file: hashed where it lies, not copied behind its purpose
            keyed = hmac.new(self.index_key, purpose.encode() + b"|", hashlib.sha256)
            keyed.update(raw)
            return keyed.digest()
        return hmac.digest(self.index_key, purpose.encode() + b"|" + raw, "sha256")

    def fingerprints(self) -> dict[int, bytes]:
        """Per key id (0 for the index key) a digest that names the key without revealing it."""
        marks = {key_id: _fingerprint(key) for key_id, key in self.keys.items()}
        marks[0] = _fingerprint(self.index_key)
        return marks

    def key_header(self, key_id: int | None = None) -> bytes:
        """The first bytes of a value sealed under `key_id` (default: the current key)."""
        return _HEADER.pack(VERSION, self.current if key_id is None else key_id)

    def rotated(self) -> Keyring:
        """This keyring with a new current key; the old keys stay to open what they sealed."""
        new_id = max(self.keys) + 1
        return replace(self, keys={**self.keys, new_id: AESGCM.generate_key(256)}, current=new_id)

    def without_old_keys(self) -> Keyring:
        return replace(self, keys={self.current: self.keys[self.current]})

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": {str(key_id): _b64(key) for key_id, key in sorted(self.keys.items())},
                "index_key": _b64(self.index_key),
            },
            indent=2,
        )


def _bound(header: bytes, place: str, row: object) -> bytes:
    return header + place.encode() + b"\x00" + str(row).encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _fingerprint(key: bytes) -> bytes:
    return hmac.new(key, b"signal-hub key fingerprint", hashlib.sha256).digest()[:16]


def new_keyring() -> Keyring:
    return Keyring({1: AESGCM.generate_key(256)}, 1, secrets.token_bytes(32))


def parse_keyring(text: str, source: Path | None = None) -> Keyring:
    try:
        data = json.loads(text)
        keys = {
            int(key_id): base64.b64decode(key, validate=True)
            for key_id, key in data["keys"].items()
        }
        return Keyring(keys, int(data["current"]), base64.b64decode(data["index_key"]), source)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        where = f"the key file {source}" if source else "HUB_KEYS"
        raise KeyringError(f"{where} is not a keyring: {type(error).__name__}") from None


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write the key file readable by its owner only, replacing any old one in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def load_keyring(environment_value: str | None, path: Path, *, create: bool) -> Keyring:
    """The keyring from HUB_KEYS, else from the key file; a new one is written only if `create`."""
    if environment_value:
        return parse_keyring(environment_value)
    if path.exists():
        return parse_keyring(path.read_text(), path)
    if not create:
        raise KeyringError(
            f"no keys: set HUB_KEYS, or restore the key file {path} that belongs to this database"
        )
    keyring = new_keyring()
    write_keyring(path, keyring)
    return Keyring(keyring.keys, keyring.current, keyring.index_key, path)


_active: list[Keyring] = []


def use_keyring(keyring: Keyring) -> None:
    """Make `keyring` the one this process seals and opens with (set once at start)."""
    _active[:] = [keyring]


def keyring() -> Keyring:
    if not _active:
        raise KeyringError("no keyring in use: the hub seals personal data only with its keys")
    return _active[0]
