"""The shapes of sealed personal data, one place for each: what is sealed in which column, and
how a row's sealed columns are opened.

Each value is bound to its place (`table.column`) and its row (the row's key; for an event's
note, its case or signal) as associated data, so a sealed name cannot be passed off as a
description, nor one household's address as another's (`hub.privacy.crypto`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hub.privacy.crypto import keyring
from schemas.address import Address

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

ADDRESS = "households.address"
PERSONAL = "signals.personal"
RETURNED_NOTE = "signals.returned_note"
BATCH_CONTENT = "batches.content"
EVENT_NOTE = "events.reason"
WEBHOOK_SIGNING = "partner_webhooks.secret_sealed"
SURVEY_COMMENT = "survey_comments.comment"  # a partner's comment in the partner survey
PAYLOAD_DIGEST = "signals.payload"
CENTS = Decimal("0.01")
# Every sealed column, as (table, column, the table's key column); the place a value is bound to
# is "table.column".
SEALED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("households", "address", "id"),
    ("signals", "personal", "id"),
    ("signals", "returned_note", "id"),
    ("batches", "content", "id"),
    ("partner_webhooks", "secret_sealed", "partner_id"),
    ("users", "totp_secret", "id"),
    ("survey_comments", "comment", "id"),
)


def keyed_payload_digest(content_sha256: bytes) -> bytes:
    """A signal's content digest as stored: the SHA-256 of its content hashed again with the
    index key, so rows from before keyed digests can be converted where they lie."""
    return keyring().digest(content_sha256, PAYLOAD_DIGEST)


def seal_webhook_secret(secret: str, partner_id: UUID) -> bytes:
    """A partner's webhook signing secret: not personal, but whoever reads it can forge the
    hub's feedback to that partner, so it is kept like personal data."""
    return keyring().seal_bytes(secret.encode(), WEBHOOK_SIGNING, partner_id)


def open_webhook_secret(sealed: bytes, partner_id: UUID) -> str:
    return keyring().unseal_bytes(sealed, WEBHOOK_SIGNING, partner_id).decode()


def seal_address(address: Address, household_id: UUID) -> bytes | None:
    return keyring().seal(address.model_dump(mode="json"), ADDRESS, household_id)


def open_address(sealed: bytes | None, household_id: UUID) -> dict[str, Any]:
    """The household's address parts (all None once removed)."""
    parts = keyring().unseal(sealed, ADDRESS, household_id) or {}
    return {
        "postcode": parts.get("postcode"),
        "house_number": parts.get("house_number"),
        "house_letter": parts.get("house_letter") or "",
        "addition": parts.get("addition") or "",
    }


def personal_value(
    name: str | None,
    birth_date: date | None,
    description: str | None,
    reason: str | None,
    client_ref: str | None,
    arrears_amount: Decimal | None = None,
    arrears_since: date | None = None,
    invitations: Sequence[date] = (),
    early_debt: dict[str, Any] | None = None,
    coding: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """What of a signal is sealed in `signals.personal`: everything that names or describes a
    person or a household's situation (its arrears, the invitations it missed, an early-debt
    signal's creditor, crisis and dates)."""
    return {
        "early_debt": early_debt,
        "name": name,
        "birth_date": birth_date.isoformat() if birth_date else None,
        "description": description,
        "reason": reason,
        "client_ref": client_ref,
        "arrears_amount": (
            str(arrears_amount.quantize(CENTS)) if arrears_amount is not None else None
        ),
        "arrears_since": arrears_since.isoformat() if arrears_since else None,
        "invitations": [day.isoformat() for day in invitations],
        "coding": dict(coding) if coding is not None else None,  # the referrer's code
    }


def seal_personal(value: dict[str, Any], signal_id: UUID) -> bytes | None:
    return keyring().seal(value, PERSONAL, signal_id)


def open_personal(sealed: bytes | None, signal_id: UUID) -> dict[str, Any]:
    """A signal's personal fields (all None once removed)."""
    fields = keyring().unseal(sealed, PERSONAL, signal_id) or {}
    birth = fields.get("birth_date")
    amount = fields.get("arrears_amount")
    since = fields.get("arrears_since")
    return {
        "person_name": fields.get("name"),
        "person_birth_date": date.fromisoformat(birth) if birth else None,
        "description": fields.get("description"),
        "not_informed_reason": fields.get("reason"),
        "client_ref": fields.get("client_ref"),
        "arrears_amount": Decimal(amount) if amount is not None else None,
        "arrears_since": date.fromisoformat(since) if since else None,
        "invitation_dates": [date.fromisoformat(day) for day in fields.get("invitations", [])],
        "early_debt": fields.get("early_debt"),
        "coding": fields.get("coding"),
    }


def seal_returned_note(reason: str, signal_id: UUID) -> bytes | None:
    return keyring().seal(reason, RETURNED_NOTE, signal_id)


def event_row(case_id: UUID | None, signal_id: UUID | None) -> str:
    """What an event's note is bound to: the case (or signal) the event is about."""
    return f"case:{case_id}" if case_id is not None else f"signal:{signal_id}"


def seal_note(reason: str, row: str) -> str:
    """A team's free-text reason as kept in an event's data (`row` from `event_row`): sealed,
    in base64."""
    return base64.b64encode(keyring().seal_bytes(reason.encode(), EVENT_NOTE, row)).decode()


def open_note(note: str, row: str) -> str:
    return keyring().unseal_bytes(base64.b64decode(note), EVENT_NOTE, row).decode()


def open_event_data(data: Mapping[str, Any], row: str) -> dict[str, Any]:
    """An event's data with its sealed note (if any, and not yet removed) opened as `reason`."""
    result = dict(data)
    note = result.pop("reason_sealed", None)
    if note is not None:
        result["reason"] = open_note(note, row)
    return result


def seal_batch(content: bytes | bytearray, batch_id: UUID) -> bytearray:
    """A received file, sealed into one buffer (a 20 MiB file is not copied again to add the
    header)."""
    return keyring().seal_into_buffer(content, BATCH_CONTENT, batch_id)


def open_batch(sealed: bytes, batch_id: UUID) -> bytes:
    return keyring().unseal_bytes(sealed, BATCH_CONTENT, batch_id)


def unsealed(row: asyncpg.Record | Mapping[str, Any]) -> dict[str, Any]:
    """A row as a dict with its sealed columns opened: `address` (bound to the row's
    `household_id`), `personal` and `returned_note` (bound to its `id`, a signal's)."""
    result = dict(row)
    if "address" in result:
        result.update(open_address(row["address"], row["household_id"]))
    if "personal" in result:
        result.update(open_personal(row["personal"], row["id"]))
    if "returned_note" in result:
        result["returned_reason"] = keyring().unseal(row["returned_note"], RETURNED_NOTE, row["id"])
    return result
