"""CSV batches as housing corporations and Work & Income export them, translated to signals.

Dutch spreadsheet reality: `;` or `,` between fields, decimal commas (`1.234,56`), dates as
`dd-mm-jjjj`, UTF-8 with or without BOM or Windows-1252, and each partner's own header names,
mapped by a profile. Pure: bytes in, signals and row errors out.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.address import ascii_number
from schemas.early_debt import SIGNAL_PARTNER
from schemas.signals import SignalIn, SignalKind

# The fields a profile can map, and where each lands in a SignalIn (for naming errors).
Target = Literal[
    "external_ref",
    "postcode",
    "house_number",
    "house_letter",
    "addition",
    "name",
    "birth_date",
    "urgency",
    "informed",
    "description",
    "arrears_amount",
    "arrears_since",
    "client_ref",
    "invitation",
    "creditor",
    "signalled_on",
    "crisis",
    "ends_on",
    "warm_handover",
]
_LOC_OF_TARGET: dict[tuple[str | int, ...], Target] = {
    ("external_ref",): "external_ref",
    ("address", "postcode"): "postcode",
    ("address", "house_number"): "house_number",
    ("address", "house_letter"): "house_letter",
    ("address", "addition"): "addition",
    ("person", "name"): "name",
    ("person", "birth_date"): "birth_date",
    ("urgency",): "urgency",
    ("description",): "description",
    ("arrears", "amount_eur"): "arrears_amount",
    ("arrears", "since"): "arrears_since",
    ("non_response", "client_ref"): "client_ref",
    ("arrears", "creditor"): "creditor",
    ("arrears", "signalled_on"): "signalled_on",
    ("arrears", "crisis"): "crisis",
    ("arrears", "ends_on"): "ends_on",
    ("arrears", "warm_handover"): "warm_handover",
}


class BatchProfile(BaseModel):
    """How a partner's file maps onto signals: its signal kind and header names per field.

    Header names are matched ignoring case, accents, spaces and punctuation. A target may have
    several names; `invitation` may match several columns (each a date).
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: SignalKind
    columns: dict[Target, list[str]]
    required: list[Target] = ["postcode", "house_number"]
    default_description: str
    not_informed_reason: str = "Niet vermeld in het batchbestand"


RENT_ARREARS = BatchProfile(
    name="rent_arrears",
    kind=SignalKind.RENT_ARREARS,
    columns={
        "external_ref": [
            "referentie",
            "kenmerk",
            "dossiernummer",
            "contractnummer",
            "huurcontract",
        ],
        "postcode": ["postcode"],
        "house_number": ["huisnummer", "huisnr", "nummer"],
        "house_letter": ["huisletter", "letter"],
        "addition": ["toevoeging", "huisnummertoevoeging"],
        "name": ["naam", "huurder", "naam huurder"],
        "birth_date": ["geboortedatum"],
        "urgency": ["urgentie", "spoed"],
        "informed": ["geinformeerd", "bewoner geinformeerd", "huurder geinformeerd"],
        "description": ["toelichting", "opmerking", "omschrijving"],
        "arrears_amount": ["achterstand", "huurachterstand", "bedrag", "bedrag achterstand"],
        "arrears_since": ["achterstand sinds", "sinds", "datum achterstand", "eerste achterstand"],
    },
    required=["postcode", "house_number", "arrears_amount"],
    default_description="Huurachterstand gemeld door de woningcorporatie.",
)

# Early-debt signals (vroegsignalen) as the collection systems export them (RIS / xxllnc
# Vroegsignalering, BKR's VPS), one row per signal, with the national field names of the VNG data
# set DDAS Vroegsignalering (ID, crisissignaal, warmeOverdracht, bedrag, ontstaansdatum,
# signaaldatum, signaalpartner, postcode, huisnummer, huisnummertoevoeging) so that a
# municipality maps its export without code. `signaalpartner` holds the national kind
# ("Energie", "Zorg", ...); a creditor sending its own list may leave it out.
EARLY_DEBT = BatchProfile(
    name="early_debt",
    kind=SignalKind.PAYMENT_ARREARS,
    columns={
        "external_ref": ["id", "signaal id", "signaalid", "kenmerk", "referentie"],
        "postcode": ["postcode", "client postcode"],
        "house_number": ["huisnummer", "client huisnummer"],
        "house_letter": ["huisletter"],
        "addition": ["huisnummertoevoeging", "toevoeging", "client huisnummertoevoeging"],
        "name": ["naam", "naam inwoner", "client naam"],
        "birth_date": ["geboortedatum", "client geboortedatum"],
        "description": ["toelichting", "opmerking"],
        "arrears_amount": ["bedrag", "bedrag achterstand", "achterstand"],
        "arrears_since": ["ontstaansdatum", "datum ontstaan"],
        "signalled_on": ["signaaldatum"],
        "creditor": ["signaalpartner", "signaalpartner type", "type signaalpartner"],
        "crisis": ["crisissignaal", "crisis"],
        "ends_on": ["einddatum levering", "datum afsluiting", "datum ontruiming", "afsluitdatum"],
        "warm_handover": ["warmeoverdracht", "warme overdracht"],
        "informed": ["geinformeerd", "inwoner geinformeerd"],
    },
    required=["external_ref", "postcode", "house_number", "arrears_amount"],
    default_description="Betalingsachterstand gemeld voor vroegsignalering van schulden.",
    not_informed_reason="Vroegsignaal: de schuldeiser meldt zonder toestemming (Wgs art. 5)",
)

NON_RESPONDER = BatchProfile(
    name="non_responder",
    kind=SignalKind.NON_RESPONDER,
    columns={
        "client_ref": ["klantnummer", "clientnummer", "relatienummer"],
        "postcode": ["postcode"],
        "house_number": ["huisnummer", "huisnr", "nummer"],
        "house_letter": ["huisletter", "letter"],
        "addition": ["toevoeging", "huisnummertoevoeging"],
        "name": ["naam", "naam klant"],
        "birth_date": ["geboortedatum"],
        "urgency": ["urgentie", "spoed"],
        "informed": ["geinformeerd", "klant geinformeerd"],
        "description": ["toelichting", "opmerking"],
        "invitation": [
            "uitnodiging",
            "datum uitnodiging",
            "uitnodiging 1",
            "uitnodiging 2",
            "uitnodiging 3",
            "uitnodiging 4",
            "uitnodiging 5",
        ],
    },
    required=["postcode", "house_number", "client_ref"],
    default_description="Reageert niet op uitnodigingen van Werk en Inkomen.",
)

DEFAULT_PROFILES = {profile.name: profile for profile in (RENT_ARREARS, NON_RESPONDER, EARLY_DEBT)}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class BatchRow:
    line: int
    signal: SignalIn
    columns: dict[Target, str] = field(default_factory=dict)  # the file's column per target

    def column_of(self, loc: list[str | int]) -> str | None:
        """The file's column behind a refusal's `loc` (the hub's rules after parsing)."""
        target = next(
            (t for prefix, t in _LOC_OF_TARGET.items() if tuple(loc[: len(prefix)]) == prefix),
            None,
        )
        return self.columns.get(target) if target else None


@dataclass
class ParsedBatch:
    rows: list[BatchRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0  # rows with content
    last_line: int = 1  # the last line read (the header is line 1)


# A keyed digest of a row's content, as hex: the hub's, so that no reference made from a row's
# personal data can be recomputed from a guess of that data (connectors hold no keys).
RowReference = Callable[[bytes], str]


HEADER_NAME_CHARS = 200


class BatchFileError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns, not text)."""


def header_key(name: str) -> str:
    """`Huurder geïnformeerd?` -> `huurder geinformeerd`."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


def text_encoding(data: bytes, piece: int = 1 << 20) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the two encodings spreadsheets write:
    `utf-8-sig` if the whole file is UTF-8, else `cp1252`; checked a piece at a time, so that
    no decoded copy of a large file is made only to look at it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), piece):
            decoder.decode(view[start : start + piece])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def sniff_delimiter(header_line: str) -> str:
    return max((";", ",", "\t"), key=header_line.count)


_THOUSANDS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")


def parse_amount(text: str) -> Decimal:
    """`1.234,56`, `1234,56`, `€ 1.234`, `1234.56` -> Decimal."""
    cleaned = text.replace("€", "").replace("EUR", "").replace(" ", "").strip()
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(".", "")
    # Decimal also reads "٣", "1_000" and "1.5e3"; a partner's list never means those.
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cleaned) is None:
        raise ValueError("not an amount; write it like 1.234,56")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not an amount; write it like 1.234,56") from None
    if not amount.is_finite():
        raise ValueError("not an amount; write it like 1.234,56")
    return amount


_DAY_FIRST = re.compile(r"^([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})$")
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


def parse_date(text: str) -> date:
    """`dd-mm-jjjj` (also with / or . and one-digit day or month), or `jjjj-mm-dd`."""
    value = text.strip()
    if match := _DAY_FIRST.match(value):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    elif match := _ISO_DATE.match(value):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        raise ValueError("not a date; write it as dd-mm-jjjj")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("not a date; write it as dd-mm-jjjj") from None


_YES = {"ja", "j", "yes", "y", "1", "true", "waar", "x"}
_NO = {"nee", "n", "no", "0", "false", "onwaar", ""}


def parse_creditor(text: str) -> str:
    """A creditor's kind from its national name ("Energie", "CAK Zorgverzekeringen") or our code."""
    wanted = header_key(text)
    for kind, name in SIGNAL_PARTNER.items():
        if wanted in (header_key(name), header_key(kind.value)):
            return kind.value
    raise ValueError(
        "not a kind of signal partner; use one of: " + ", ".join(sorted(SIGNAL_PARTNER.values()))
    )


def parse_yes_no(text: str) -> bool:
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError("answer ja or nee")


def _column_plan(header: list[str], profile: BatchProfile) -> dict[Target, list[int]]:
    keys = [header_key(name) for name in header]
    plan: dict[Target, list[int]] = {}
    for target, names in profile.columns.items():
        wanted = {header_key(name) for name in names}
        positions = [i for i, key in enumerate(keys) if key in wanted]
        if target == "invitation":
            positions += [
                i
                for i, key in enumerate(keys)
                if key.startswith("uitnodiging") and i not in positions
            ]
        if positions:
            plan[target] = positions if target == "invitation" else positions[:1]
    missing = [target for target in profile.required if target not in plan]
    if missing:
        described = "; ".join(f"{t} ({' / '.join(profile.columns[t])})" for t in missing)
        raise BatchFileError(f"the header lacks required columns: {described}")
    return plan


def _build(
    row: list[str],
    plan: dict[Target, list[int]],
    header: list[str],
    profile: BatchProfile,
    reference: RowReference,
) -> tuple[dict[str, Any], dict[Target, str], list[RowError]]:
    """The SignalIn fields of one row, the file's column behind each target, and the cells
    that could not be converted (line 0: the caller numbers them)."""

    def cell(target: Target) -> str:
        positions = plan.get(target)
        return row[positions[0]].strip() if positions and positions[0] < len(row) else ""

    columns = {target: header[positions[0]] for target, positions in plan.items()}
    errors: list[RowError] = []

    def convert(target: Target, parse: Any) -> Any:
        raw = cell(target)
        if not raw:
            return None
        try:
            return parse(raw)
        except ValueError as error:
            errors.append(RowError(0, columns[target], str(error)))
            return None

    number_text = cell("house_number")
    # Only a plausible number becomes one: `int` refuses over 4,300 digits (a poison row), and
    # the schema refuses what is left, for this row alone.
    plausible = ascii_number(number_text) and len(number_text) <= 9
    number: Any = int(number_text) if plausible else number_text or None
    address = {
        "postcode": cell("postcode") or None,
        "house_number": number,
        "house_letter": cell("house_letter") or None,
        "addition": cell("addition") or None,
    }
    name, birth = cell("name"), convert("birth_date", parse_date)
    informed = convert("informed", parse_yes_no)
    urgent = convert("urgency", parse_yes_no)
    fields: dict[str, Any] = {
        "kind": profile.kind.value,
        "urgency": "high" if urgent else "normal",
        "address": address,
        "person": {"name": name or None, "birth_date": birth} if name or birth else None,
        "resident_informed": {"informed": True}
        if informed
        else {"informed": False, "reason": profile.not_informed_reason},
        "description": cell("description") or profile.default_description,
    }
    if "arrears_amount" in plan:
        amount = convert("arrears_amount", parse_amount)
        since = convert("arrears_since", parse_date)
        arrears: dict[str, Any] = {"amount_eur": amount, "since": since}
        if "creditor" in plan:
            arrears["creditor"] = convert("creditor", parse_creditor)
        for target, parse in (
            ("signalled_on", parse_date),
            ("ends_on", parse_date),
            ("crisis", parse_yes_no),
            ("warm_handover", parse_yes_no),
        ):
            if target in plan:
                value = convert(target, parse)
                if value is not None:
                    arrears[target] = value
        fields["arrears"] = arrears if amount is not None else None
    if "client_ref" in plan:
        invitations = []
        for position in plan.get("invitation", []):
            raw = row[position].strip() if position < len(row) else ""
            if raw:
                try:
                    invitations.append(parse_date(raw))
                except ValueError as error:
                    errors.append(RowError(0, header[position], str(error)))
        fields["non_response"] = {"client_ref": cell("client_ref"), "invitations": invitations}
    errors += [
        RowError(0, columns[target], "empty, but this column is required")
        for target in profile.required
        if target != "invitation" and not cell(target)
    ]
    fields["external_ref"] = _row_ref(cell("external_ref"), fields, reference)
    return fields, columns, errors


_NOT_IN_REF = re.compile(r"[^A-Za-z0-9._:/-]+")


def _row_ref(partner_ref: str, fields: dict[str, Any], reference: RowReference) -> str:
    """The row's reference: the partner's own (cleaned) plus a keyed digest of the content.

    A re-sent row is then the same signal, while next month's row with a grown amount is a new
    one (which repeat detection then judges), not a clash of references.
    """
    digest = reference(repr(sorted(fields.items())).encode() + b"|" + partner_ref.encode())
    cleaned = _NOT_IN_REF.sub("-", partner_ref).strip("-")[:60]
    return f"{cleaned or 'row'}#{digest[:24]}"


def _validation_errors(
    error: ValidationError, columns: dict[Target, str], line: int
) -> list[RowError]:
    found = []
    for item in error.errors(include_url=False, include_input=False):
        loc = tuple(item["loc"])
        target = next(
            (t for prefix, t in _LOC_OF_TARGET.items() if loc[: len(prefix)] == prefix), None
        )
        column = columns.get(target) if target else None
        message = item["msg"].removeprefix("Value error, ")
        if column is None and target is None:
            message = f"{'.'.join(str(part) for part in loc)}: {message}"
        found.append(RowError(line, column, message))
    return found


class BatchReader:
    """A file whose header fits the profile, read in chunks of rows.

    The whole file is read through once on opening, without building anything: a file that the
    CSV reader cannot read (a field over 128 KiB, a broken quote) is refused before any of its
    rows is taken in, with the line at fault. Raises BatchFileError.
    """

    def __init__(self, data: bytes, profile: BatchProfile, reference: RowReference) -> None:
        # The file is kept as it came and decoded as it is read: a decoded copy of a 20 MiB
        # file is 20 - 80 MiB more (a text buffer holds four bytes a character).
        self._data = data
        self._encoding = text_encoding(data)
        end = data.find(b"\n")
        first_line = (data if end < 0 else data[:end]).decode(self._encoding, errors="replace")
        if not first_line.strip():
            raise BatchFileError("the file is empty or has no header line")
        self._delimiter = sniff_delimiter(first_line)
        self._profile = profile
        self._reference = reference
        reader = self._reader()
        try:
            # Header names as problems report them: no NUL (the database refuses it in text) and
            # no longer than a column name can sensibly be.
            self._header = [
                name.replace("\x00", "\ufffd")[:HEADER_NAME_CHARS] for name in next(reader)
            ]
            self.total = sum(1 for row in reader if any(cell.strip() for cell in row))
        except csv.Error as error:
            raise BatchFileError(f"line {reader.line_num}: not readable as CSV ({error})") from None
        self._plan = _column_plan(self._header, profile)

    def _reader(self) -> Any:
        text = io.TextIOWrapper(
            io.BytesIO(self._data), encoding=self._encoding, errors="replace", newline=""
        )
        # Strict: a quote left open to the end of the file, or text after a closing quote, is
        # not read as one long cell holding the rows after it (other households' data).
        return csv.reader(text, delimiter=self._delimiter, strict=True)

    def chunks(self, size: int, after_line: int = 1) -> Iterator[ParsedBatch]:
        """The rows after line `after_line`, `size` rows with content at a time, each row a
        signal or its errors, numbered as a spreadsheet shows them (the header is line 1)."""
        return (chunk for chunk in self.steps(size, after_line) if chunk is not None)

    def steps(
        self, size: int, after_line: int = 1, rows_a_step: int = 25
    ) -> Iterator[ParsedBatch | None]:
        """As `chunks`, with a None after every `rows_a_step` rows: a caller on an event loop
        parses a few rows at a time and lets other work run between the steps."""
        reader = self._reader()
        next(reader)
        chunk = ParsedBatch(last_line=after_line)
        since_pause = 0
        for line, row in enumerate(reader, start=2):
            since_pause += 1
            if since_pause >= rows_a_step * 10:  # blank lines too, if nothing else comes
                since_pause = 0
                yield None
            if line <= after_line:
                continue
            chunk.last_line = line
            if not any(cell.strip() for cell in row):
                continue
            chunk.total += 1
            self._take(line, row, chunk)
            if chunk.total % rows_a_step == 0 and chunk.total < size:
                since_pause = 0
                yield None
            if chunk.total == size:
                yield chunk
                chunk = ParsedBatch(last_line=line)
        if chunk.total or chunk.last_line > after_line:
            yield chunk

    def _take(self, line: int, row: list[str], into: ParsedBatch) -> None:
        fields, columns, failed = _build(
            row, self._plan, self._header, self._profile, self._reference
        )
        errors = [RowError(line, e.column, e.reason) for e in failed]
        try:
            signal = SignalIn.model_validate(fields)
        except ValidationError as error:
            unconverted = {e.column for e in errors}
            errors += [
                e
                for e in _validation_errors(error, columns, line)
                if e.column not in unconverted or e.column is None
            ]
        if errors:
            into.errors.extend(errors)
        else:
            into.rows.append(BatchRow(line, signal, columns))


def parse_batch(data: bytes, profile: BatchProfile, reference: RowReference) -> ParsedBatch:
    """Every row as a signal or as errors, in one go (for files known to be small).

    Raises BatchFileError when the file as a whole cannot be read.
    """
    reader = BatchReader(data, profile, reference)
    result = ParsedBatch()
    for chunk in reader.chunks(size=max(reader.total, 1)):
        result.rows += chunk.rows
        result.errors += chunk.errors
        result.total += chunk.total
        result.last_line = chunk.last_line
    return result
