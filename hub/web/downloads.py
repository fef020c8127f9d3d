"""Figures to take away: tables as CSV that Excel opens correctly with Dutch settings, charts as
SVG files.

Excel in a Dutch locale splits on `;` (the comma is the decimal sign), reads UTF-8 only with a
byte-order mark, and runs a cell that starts with `=`, `+`, `-` or `@` as a formula (CSV
injection: a partner's name like `=HYPERLINK(...)` would become a link). So: `;`, a BOM, decimal
commas, and such a cell gets a leading apostrophe, which Excel shows as plain text.

Every manager page offers its tables the same way: `?download=<table>` on the page's own
address answers the CSV of that table, `?download=svg` the page's chart.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from aiohttp import web

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE_NAME = re.compile(r"[^a-z0-9-]+")


def cell(value: object) -> str:
    """One value as Dutch Excel reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, int):
        return str(value)  # a negative number stays a number
    if isinstance(value, float | Decimal):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The table as `;`-separated UTF-8 with a byte-order mark and CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _filename(name: str, suffix: str) -> str:
    return (_SAFE_NAME.sub("-", name.lower()).strip("-") or "export") + suffix


def csv_download(
    name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> web.Response:
    return web.Response(
        body=excel_csv(header, rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(name, ".csv")}"'},
    )


def svg_download(name: str, svg: str) -> web.Response:
    """A chart as a standalone SVG file (its template renders the namespace when standalone)."""
    return web.Response(
        text='<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
        content_type="image/svg+xml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(name, ".svg")}"'},
    )
