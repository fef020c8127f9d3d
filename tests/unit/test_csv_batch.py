from __future__ import annotations

import hashlib
import hmac
from datetime import date
from decimal import Decimal

import pytest

from connectors.csv_batch import (
    NON_RESPONDER,
    RENT_ARREARS,
    BatchFileError,
    BatchProfile,
    BatchReader,
    ParsedBatch,
    header_key,
    parse_amount,
    parse_batch,
    parse_date,
    text_encoding,
)


def keyed(raw: bytes) -> str:
    """What the hub gives a connector to make a row's reference: a keyed digest."""
    return hmac.new(b"a test key", raw, hashlib.sha256).hexdigest()


def parse(data: bytes, profile: BatchProfile) -> ParsedBatch:
    return parse_batch(data, profile, keyed)


ARREARS_HEADER = (
    "Referentie;Postcode;Huisnummer;Toevoeging;Naam huurder;Achterstand;Achterstand sinds"
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234,56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("€ 1.234", Decimal("1234")),
        ("€1.234.567,8", Decimal("1234567.8")),
        ("1234.56", Decimal("1234.56")),
        ("800", Decimal("800")),
        ("0,5", Decimal("0.5")),
    ],
)
def test_amounts_in_dutch_notation(text: str, amount: Decimal) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["abc", "1,2,3", "NaN", "--1"])
def test_bad_amounts_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01-02-2026", date(2026, 2, 1)),
        ("1-2-2026", date(2026, 2, 1)),
        ("01/02/2026", date(2026, 2, 1)),
        ("01.02.2026", date(2026, 2, 1)),
        ("2026-02-01", date(2026, 2, 1)),
    ],
)
def test_dates_day_first(text: str, day: date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31-02-2026", "02-30-2026", "2026/02/01", "gisteren"])
def test_bad_dates_refused(text: str) -> None:
    with pytest.raises(ValueError, match="dd-mm-jjjj"):
        parse_date(text)


def test_header_names_match_ignoring_case_accents_and_punctuation() -> None:
    assert header_key("Huurder geïnformeerd?") == "huurder geinformeerd"
    assert header_key("  ACHTERSTAND_sinds ") == "achterstand sinds"


ROWS = [
    "R-1;2034 AB;12;bis;J. Jansen;1.234,56;01-02-2026",
    "R-2;2011AA;3;;;€ 800;",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_encodings_and_delimiters(encoding: str, delimiter: str) -> None:
    lines = [ARREARS_HEADER.replace(";", delimiter)]
    lines += [
        row.replace(";", delimiter)
        .replace("1.234,56", '"1.234,56"' if delimiter == "," else "1.234,56")
        .replace("€ 800", "€ 800")
        for row in ROWS
    ]
    lines.append(
        f"R-3{delimiter}2012AB{delimiter}5{delimiter}{delimiter}Zoë Müller{delimiter}10{delimiter}"
    )
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    parsed = parse(data, RENT_ARREARS)
    assert parsed.errors == []
    assert parsed.total == 3
    first, second, third = (row.signal for row in parsed.rows)
    assert first.address.postcode == "2034AB"
    assert first.address.addition == "BIS"
    assert first.arrears is not None
    assert first.arrears.amount_eur == Decimal("1234.56")
    assert first.arrears.since == date(2026, 2, 1)
    assert second.arrears is not None
    assert second.arrears.amount_eur == Decimal("800")
    assert third.person is not None
    assert third.person.name == "Zoë Müller"
    assert all(row.signal.kind.value == "rent_arrears" for row in parsed.rows)


def test_bad_rows_are_reported_with_line_column_and_reason() -> None:
    data = "\n".join(
        [
            ARREARS_HEADER,
            ROWS[0],
            "R-9;0123AB;x;;;abc;31-02-2026",
            "",
            "R-10;2034AB;7;;;;",
            ROWS[1],
        ]
    ).encode()
    parsed = parse(data, RENT_ARREARS)
    assert [row.line for row in parsed.rows] == [2, 6]
    found = {(e.line, e.column) for e in parsed.errors}
    assert found == {
        (3, "Postcode"),
        (3, "Huisnummer"),
        (3, "Achterstand"),
        (3, "Achterstand sinds"),
        (5, "Achterstand"),  # a rent-arrears row without an amount
    }
    assert parsed.total == 4
    reasons = {e.column: e.reason for e in parsed.errors if e.line == 3}
    assert "does not start with 0" in reasons["Postcode"]
    assert "1.234,56" in reasons["Achterstand"]


def test_missing_required_column_refuses_the_file() -> None:
    with pytest.raises(BatchFileError, match="arrears_amount"):
        parse(b"Postcode;Huisnummer\n2034AB;1\n", RENT_ARREARS)


def test_empty_file_is_refused() -> None:
    with pytest.raises(BatchFileError, match="empty"):
        parse(b"", RENT_ARREARS)


def test_same_row_same_reference_grown_amount_new_reference() -> None:
    base = parse(f"{ARREARS_HEADER}\n{ROWS[0]}\n".encode(), RENT_ARREARS).rows[0].signal
    again = parse(f"{ARREARS_HEADER}\n{ROWS[0]}\n".encode(), RENT_ARREARS).rows[0].signal
    grown = (
        parse(
            f"{ARREARS_HEADER}\n{ROWS[0].replace('1.234,56', '1.500,00')}\n".encode(), RENT_ARREARS
        )
        .rows[0]
        .signal
    )
    assert base.external_ref == again.external_ref
    assert base.external_ref.startswith("R-1#")
    assert grown.external_ref != base.external_ref


def test_non_responders_with_invitation_dates() -> None:
    data = (
        "\ufeffKlantnummer,Postcode,Huisnummer,Uitnodiging 1,Uitnodiging 2,Uitnodiging 3\n"
        "K-100,2031AA,5,01-09-2026,15-09-2026,\n"
        "K-101,2031AA,7,01-09-2026,gisteren,\n"
        ",2031AA,9,01-09-2026,,\n"
    ).encode()
    parsed = parse(data, NON_RESPONDER)
    assert [row.line for row in parsed.rows] == [2]
    signal = parsed.rows[0].signal
    assert signal.non_response is not None
    assert signal.non_response.client_ref == "K-100"
    assert signal.non_response.invitations == [date(2026, 9, 1), date(2026, 9, 15)]
    assert signal.resident_informed.informed is False
    assert {(e.line, e.column) for e in parsed.errors} == {(3, "Uitnodiging 2"), (4, "Klantnummer")}


def test_digits_other_than_0_to_9_are_refused() -> None:
    """`int` and `Decimal` read Arabic-Indic and full-width digits; a list holding such digits
    is refused, not taken in as another household."""
    data = (
        "Referentie;Postcode;Huisnummer;Achterstand\r\n"
        "A;2034 AB;\u0663;100\r\n"  # Arabic-Indic 3
        "B;2034 AB;3;\u0661\u0660\u0660\r\n"  # Arabic-Indic 100
        "C;\u0662\u0660\u0663\u0664AB;3;100\r\n"
    ).encode()
    parsed = parse(data, RENT_ARREARS)
    assert parsed.rows == []
    assert {error.line for error in parsed.errors} == {2, 3, 4}


def test_a_field_too_long_for_csv_fails_the_file_before_any_row() -> None:
    """A poison file: the CSV reader refuses a field over 128 KiB. It fails as a whole, with
    its line, before a single row is taken in."""
    data = f"{ARREARS_HEADER}\n{ROWS[0]}\nX;2034AB;1;;{'a' * 200_000};100;\n".encode()
    with pytest.raises(BatchFileError, match="line 3"):
        BatchReader(data, RENT_ARREARS, keyed)


def test_chunks_resume_after_a_line() -> None:
    rows = [f"R{n};2034 AB;{n};;;100,00;" for n in range(1, 26)]
    data = ("\n".join([ARREARS_HEADER, *rows]) + "\n").encode()
    reader = BatchReader(data, RENT_ARREARS, keyed)
    assert reader.total == 25
    chunks = list(reader.chunks(10))
    assert [len(chunk.rows) for chunk in chunks] == [10, 10, 5]
    assert [chunk.last_line for chunk in chunks] == [11, 21, 26]
    resumed = list(reader.chunks(10, after_line=21))
    assert [row.line for row in resumed[0].rows] == [22, 23, 24, 25, 26]


def test_steps_pause_between_rows_and_give_the_chunks_of_chunks() -> None:
    """A batch parses a few rows at a time between the database's answers: `steps` gives the
    same chunks as `chunks`, with a pause (None) after every few rows."""
    rows = [f"R{n};2034 AB;{n};;;100,00;" for n in range(1, 26)]
    reader = BatchReader(("\n".join([ARREARS_HEADER, *rows]) + "\n").encode(), RENT_ARREARS, keyed)
    steps = list(reader.steps(10, rows_a_step=3))
    chunks = [step for step in steps if step is not None]
    assert [[row.line for row in chunk.rows] for chunk in chunks] == [
        [row.line for row in chunk.rows] for chunk in reader.chunks(10)
    ]
    assert [len(chunk.rows) for chunk in chunks] == [10, 10, 5]
    assert steps.count(None) == 3 + 3 + 1  # after rows 3, 6, 9 of each chunk but its last


def test_the_encoding_is_decided_on_the_whole_file_a_piece_at_a_time() -> None:
    """UTF-8 whose characters straddle two pieces is still UTF-8; one byte that is not UTF-8,
    however far into the file, makes it Windows-1252, as spreadsheets write it."""
    text = "Referentie;Naam huurder\n" + "R-1;Zoë Müller\n" * 10
    assert text_encoding(text.encode(), piece=3) == "utf-8-sig"
    assert text_encoding(text.encode("cp1252"), piece=3) == "cp1252"
    late = ("a" * 100 + "\n").encode() * 50 + "Zoë".encode("cp1252")
    assert text_encoding(late, piece=64) == "cp1252"


def test_poison_cells_and_header_names_are_one_row_problem_not_a_failed_file() -> None:
    """A house number of 5,000 digits (`int` refuses over 4,300) is that row's problem; a
    header name with a NUL or of 100 KiB is reported short and without the NUL (the database
    refuses NUL in the report)."""
    header = ARREARS_HEADER.replace("Naam huurder", "Naam\x00huurder" + "." * 100_000)
    rows = ["R-1;2034 AB;" + "9" * 5000 + ";;J. Jansen;100,00;", "R-2;2034 AB;7;;;100,00;"]
    parsed = parse(("\n".join([header, *rows]) + "\n").encode(), RENT_ARREARS)
    assert [row.line for row in parsed.rows] == [3]
    assert [error.line for error in parsed.errors] == [2]
    reader = BatchReader(("\n".join([header, *rows]) + "\n").encode(), RENT_ARREARS, keyed)
    assert all("\x00" not in name and len(name) <= 200 for name in reader._header)


def test_blank_lines_give_way_too() -> None:
    """A file of blank lines still pauses now and then (the loop serves others meanwhile)."""
    data = (ARREARS_HEADER + "\n" + ";\n" * 1000 + "R-1;2034 AB;1;;;100,00;\n").encode()
    steps = list(BatchReader(data, RENT_ARREARS, keyed).steps(10, rows_a_step=5))
    assert steps.count(None) >= 1000 // 50 - 1
    assert [len(step.rows) for step in steps if step is not None] == [1]


def test_a_quote_left_open_fails_the_file_instead_of_swallowing_the_rows_after_it() -> None:
    """Read leniently, the open quote made one cell of every row after it: one signal holding
    other households' names, addresses and amounts. The file fails whole, with its line."""
    rows = ['R-1;2034 AB;1;;"Jansen;100,00;'] + [
        f"R-{n};2034 AB;{n};;Geheim {n};9;" for n in range(2, 12)
    ]
    data = ("\n".join([ARREARS_HEADER, *rows]) + "\n").encode()
    with pytest.raises(BatchFileError, match="not readable as CSV"):
        BatchReader(data, RENT_ARREARS, keyed)
    closed_early = ARREARS_HEADER + '\nR-1;2034 AB;1;;"Jansen"x;100,00;\n'
    with pytest.raises(BatchFileError, match="line 2"):
        BatchReader(closed_early.encode(), RENT_ARREARS, keyed)
