"""The hub's errors: each carries its problem type, title and HTTP status (RFC 9457)."""

from __future__ import annotations

from typing import ClassVar

PROBLEM_BASE = "https://signal-hub.example/problems/"


class HubError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, object]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.retry_after = retry_after

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


class BadRequest(HubError):
    status = 400
    slug = "malformed"
    title = "Malformed request"


class Unauthorized(HubError):
    status = 401
    slug = "unauthorized"
    title = "Missing or unknown token"


class NotFound(HubError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(HubError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(HubError):
    status = 413
    slug = "too-large"
    title = "Request body too large"


class UnsupportedMediaType(HubError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidFields(HubError):
    status = 422
    slug = "invalid-fields"
    title = "Invalid fields"


class Unavailable(HubError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


class Forbidden(HubError):
    status = 403
    slug = "forbidden"
    title = "Not allowed with this token"


class TooManyRequests(HubError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"


class RequestTimeout(HubError):
    status = 408
    slug = "request-timeout"
    title = "Request timeout"


class NotAcceptable(HubError):
    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


class Gone(HubError):
    status = 410
    slug = "gone"
    title = "Gone"


class PreconditionFailed(HubError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"
