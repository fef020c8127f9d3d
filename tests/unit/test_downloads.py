"""The CSV a manager takes away opens in Dutch Excel as the table it was, and runs nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

from hub.web.downloads import excel_csv


class DutchExcel(csv.Dialect):
    """What Excel with Dutch regional settings reads: `;` between cells, `"` around them."""

    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), DutchExcel()))


def test_a_table_opens_as_it_was_with_dutch_numbers() -> None:
    rows = read_back(
        excel_csv(
            ["Team", "Open zaken", "Op tijd %", "Sinds"],
            [
                ["Schalkwijk; Zuid", 41, 87.5, date(2026, 11, 2)],
                ['Huisarts "De Linde"', "<5", None, date(2026, 1, 31)],
                ["Noord\nwest", -3, 0.25, None],
            ],
        )
    )
    assert rows == [
        ["Team", "Open zaken", "Op tijd %", "Sinds"],
        ["Schalkwijk; Zuid", "41", "87,5", "02-11-2026"],
        ['Huisarts "De Linde"', "<5", "", "31-01-2026"],
        ["Noord\nwest", "-3", "0,2", ""],
    ]


def test_no_cell_starts_with_a_formula_character() -> None:
    hostile = ['=HYPERLINK("http://x")', "+31 6 1234", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
    rows = read_back(excel_csv(["Partner"], [[name] for name in hostile]))
    cells = [row[0] for row in rows[1:]]
    assert len(cells) == len(hostile)
    for value, original in zip(cells, hostile, strict=True):
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert value == "'" + original  # shown as the text it was
