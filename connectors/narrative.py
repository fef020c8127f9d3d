"""A FHIR narrative (`text.div`, XHTML) as plain text, the way a person reads it on a page.

Parsed with the standard library's HTML parser, never with patterns: markup is dropped,
entities are read (`&amp;` is `&`), paragraphs, line breaks, list items and table rows become
lines, and what is not text at all (`script`, `style`) is dropped with its content. The result is
only ever shown as text (pages escape it), so nothing in it can become markup again.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

# Elements that stand apart as paragraphs (an empty line around them), and those that only
# begin and end a line of their own.
_PARAGRAPHS: Final = frozenset(
    {"blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul"}
)
_LINES: Final = frozenset(
    {"address", "caption", "dd", "div", "dt", "li", "tbody", "tfoot", "thead", "tr"}
)
# Elements whose content is not text to read.
_DROPPED: Final = frozenset({"script", "style", "head", "template", "object", "iframe"})
_SPACES = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pending = 0  # line breaks owed before the next text: 1 a new line, 2 a paragraph
        self.dropping = 0
        self.preformatted = 0

    def _boundary(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self.pending = 2
        elif tag in _LINES:
            self.pending = max(self.pending, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += 1
            return
        self._boundary(tag)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._text("- ")
        elif tag == "pre":
            self.preformatted += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _DROPPED:  # `<script/>` has no content to drop
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
            return
        self._boundary(tag)
        if tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        # Outside <pre>, a line break in the source is a space, as a browser shows it.
        self._text(data if self.preformatted else re.sub(r"\s+", " ", data))

    def _text(self, text: str) -> None:
        if not text.strip():
            if not self.pending:
                self.parts.append(text)
            return
        if self.pending and self.parts:
            self.parts.append("\n" * self.pending)
        self.pending = 0
        self.parts.append(text)


def plain_text(xhtml: str) -> str:
    """The text of a narrative: lines without markup, at most one empty line in a row."""
    reader = _Reader()
    reader.feed(xhtml)
    reader.close()
    text = _CONTROL.sub("", "".join(reader.parts).replace("\u00a0", " "))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
