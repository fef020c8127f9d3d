"""The personal link of a survey invitation: `/enquete/{token}`, no login, working until the
survey closes.

The token is a secret, so the database holds only its keyed digest (to find the invitation by).
The token itself is derived from the invitation's random id under the index key, which lives
outside the database: so a reminder can carry the same link again, and the mail in the outbox
holds a slot where the link goes, filled in as the mail is sent (`finish_mail`). Whoever reads
the database learns no working link.
"""

from __future__ import annotations

import base64
import hmac
import re
from typing import TYPE_CHECKING
from uuid import UUID

from hub.privacy.crypto import keyring

if TYPE_CHECKING:
    from hub.platform.outbox import Due

_DERIVE = "survey-link"  # the token, from the invitation's id
_FIND = "survey-link-digest"  # the token's digest, stored to find the invitation by
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")
SLOT = "@@survey-link@@"  # where a queued mail's body takes the token


def link_token(invitation_id: UUID) -> str:
    """The invitation's token: 256 bits, URL-safe."""
    raw = keyring().digest(invitation_id.bytes, _DERIVE)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token_digest(token: str) -> bytes:
    return keyring().digest(token, _FIND)


def well_formed(token: str) -> bool:
    return bool(_WELL_FORMED.fullmatch(token))


def is_token_of(token: str, invitation_id: UUID) -> bool:
    """Whether `token` is the invitation's own (compared in constant time)."""
    return hmac.compare_digest(token.encode(), link_token(invitation_id).encode())


def finish_mail(message: Due) -> str:
    """A queued survey mail's body with its link's token in the slot."""
    invitation = UUID(str(message.payload["fill"]["invitation"]))
    return str(message.payload["body"]).replace(SLOT, link_token(invitation))
