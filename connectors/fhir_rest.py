"""The FHIR RESTful API's conventions as plain functions: search parameters, `_summary` and
`_elements`, the `Prefer` header, versions as ETags, content negotiation, searchset Bundles.

The hub's own interactions and search parameters are listed once (`SEARCH_PARAMETERS`): the
handlers read searches by them and the CapabilityStatement says them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from fhir.resources.R4B import get_fhir_model_class

from connectors.fhir import FhirInputError, FhirIssue

FHIR_JSON: Final = "application/fhir+json"

# What each searchable resource type can be searched by: name -> (type, documentation).
SEARCH_PARAMETERS: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "ServiceRequest": {
        "_id": ("token", "The id the hub gave the ServiceRequest."),
        "identifier": ("token", "Your identifier of the referral: value, or system|value."),
    },
    "Task": {
        "_id": ("token", "The id of the Task."),
        "focus": ("reference", "The ServiceRequest the Task is about: ServiceRequest/id."),
        "based-on": ("reference", "The ServiceRequest the Task fulfils: ServiceRequest/id."),
    },
}
# Parameters about the answer rather than what is searched; any other is unknown (ignored, or
# refused with `Prefer: handling=strict`, as the specification says).
RESULT_PARAMETERS: Final = frozenset({"_summary", "_elements", "_format", "_pretty"})
SUMMARIES: Final = ("true", "false", "text", "data", "count")
RETURNS: Final = ("minimal", "representation", "OperationOutcome")
_JSON_FORMATS: Final = frozenset(
    {"json", FHIR_JSON, "application/json", "application/json+fhir", "application/*", "*/*"}
)
_SUBSETTED: Final = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
_ALWAYS: Final = ("resourceType", "id", "meta")


def _refusal(message: str, code: str = "invalid") -> FhirInputError:
    # Not an element of a resource: the parameter is named in the message, no expression.
    return FhirInputError([FhirIssue("", message, code)])


# --- content negotiation ---------------------------------------------------------------------


def _media_types(accept: str) -> list[tuple[str, float]]:
    found = []
    for part in accept.split(","):
        kind, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if kind:
            found.append((kind.lower(), weight))
    return found


def serves_json(accept: str | None, format_: str | None) -> bool:
    """Whether the client takes FHIR JSON, the one format the hub writes: `_format` decides
    where given, else the Accept header (none: anything)."""
    if format_ is not None:
        return format_.split(";")[0].strip().lower() in _JSON_FORMATS
    if not accept or not accept.strip():
        return True
    return any(kind in _JSON_FORMATS and weight > 0 for kind, weight in _media_types(accept))


# --- Prefer, versions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """What the client prefers (RFC 7240, as FHIR uses it): what a create or an update returns,
    and whether unknown search parameters are refused."""

    return_: str = "representation"
    strict: bool = False


def preferences(header: str | None) -> Preferences:
    """The `Prefer` header read leniently: an unknown or unsupported preference is ignored, as
    a preference may be."""
    return_, strict = "representation", False
    for part in (header or "").replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if name.strip().lower() == "return" and value in RETURNS:
            return_ = value
        elif name.strip().lower() == "handling" and value in ("strict", "lenient"):
            strict = value == "strict"
    return Preferences(return_, strict)


def etag(version: str) -> str:
    """A version as FHIR puts it in ETag: weak, the versionId quoted."""
    return f'W/"{version}"'


def version_in(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


def matches(header: str, version: str) -> bool:
    """Whether an If-None-Match or If-Match header names this version (or `*`)."""
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    return any(tag == "*" or version_in(tag) == version for tag in tags)


# --- search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A search as the hub reads it: for each parameter used, the sets of values (each set one
    occurrence of the parameter, its comma-separated values ORed; the occurrences ANDed), and the
    parameters it did not know (and ignored)."""

    criteria: Mapping[str, list[list[str]]]
    ignored: list[str]


def read_search(
    resource_type: str, query: Sequence[tuple[str, str]], *, strict: bool = False
) -> Search:
    known = SEARCH_PARAMETERS[resource_type]
    criteria: dict[str, list[list[str]]] = {}
    ignored: list[str] = []
    for name, value in query:
        if name in RESULT_PARAMETERS:
            continue
        if name not in known:
            ignored.append(name)
            continue
        criteria.setdefault(name, []).append([part for part in value.split(",") if part])
    if ignored and strict:
        raise _refusal(
            f"{resource_type} is not searched by {', '.join(sorted(set(ignored)))} here; it is "
            f"by {', '.join(known)}",
            "not-supported",
        )
    if not criteria:
        raise _refusal(
            f"search {resource_type} by {', '.join(known)}: the hub does not list them all",
            "too-costly",
        )
    return Search(criteria, ignored)


def referenced_id(value: str, resource_type: str) -> str | None:
    """The id a reference search value names, if it names a `resource_type`: `Type/id`, a plain
    id, or an absolute URL ending in `Type/id` (a version is not part of it)."""
    value = value.split("/_history/")[0]
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0] or None
    if parts[-2] == resource_type:
        return parts[-1] or None
    return None


@dataclass(frozen=True)
class Token:
    """An identifier as a search names it: `value` (of any system), `|value` (of none),
    `system|value`."""

    system: str | None
    value: str
    any_system: bool = False


def identifier_token(value: str) -> Token:
    if "|" not in value:
        return Token(None, value, any_system=True)
    system, _, code = value.partition("|")
    return Token(system or None, code)


def if_none_exist(query: str) -> Token:
    """The identifier a conditional create names (`If-None-Exist: identifier=system|value`),
    the one search the hub knows a referral by."""
    pairs = parse_qsl(query.removeprefix("?"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        raise _refusal(
            "a conditional create names the referral by identifier=[system|]value, and by "
            "nothing else",
            "not-supported",
        )
    token = identifier_token(pairs[0][1])
    if not token.value:
        raise _refusal("the conditional create's identifier has no value", "required")
    return token


def searchset(
    base: str, resource_type: str, resources: Sequence[Mapping[str, Any]], self_url: str
) -> dict[str, Any]:
    """The answer to a search: a searchset Bundle of every match (no paging: few ever match)."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
    }
    if resources:  # FHIR JSON has no empty arrays
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{resource_type}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
    return bundle


# --- _summary and _elements ------------------------------------------------------------------


def _mandatory(resource_type: str) -> set[str]:
    model = get_fhir_model_class(resource_type)
    return {
        info.alias or name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict)
        and info.json_schema_extra.get("element_required")
    }


def _subsetted(resource: dict[str, Any]) -> dict[str, Any]:
    meta = dict(resource.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), _SUBSETTED]
    return {**resource, "meta": meta}


def check_summary(summary: str | None, *, search: bool) -> None:
    allowed = SUMMARIES if search else SUMMARIES[:-1]
    if summary is not None and summary not in allowed:
        raise _refusal(f"_summary is one of {', '.join(allowed)}")


_ELEMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def subset(resource: dict[str, Any], summary: str | None, elements: str | None) -> dict[str, Any]:
    """The resource as `_summary` (true, text, data, false) or `_elements` (a comma-separated
    list of its top-level elements) ask; a subset is tagged SUBSETTED. Mandatory elements are
    always given, as the specification asks."""
    resource_type = resource["resourceType"]
    if elements is not None:
        names = {name.strip() for name in elements.split(",") if name.strip()}
        unknown = sorted(name for name in names if not _ELEMENT.fullmatch(name))
        if unknown:
            raise _refusal(f"_elements lists element names, not {', '.join(unknown)}")
        kept = set(_ALWAYS) | _mandatory(resource_type) | names
        return _subsetted({key: value for key, value in resource.items() if key in kept})
    if summary in (None, "false"):
        return resource
    if summary == "data":
        return _subsetted({key: value for key, value in resource.items() if key != "text"})
    if summary == "text":
        kept = {*_ALWAYS, "text", *_mandatory(resource_type)}
        return _subsetted({key: value for key, value in resource.items() if key in kept})
    model = get_fhir_model_class(resource_type).model_validate(resource)
    summarised: dict[str, Any] = json.loads(model.model_dump_json(summary_only=True))
    return _subsetted(summarised)
