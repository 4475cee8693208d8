"""heise online (heise.de): the author's name is only in the title of a mailto link under the story
(the visible text is a three-letter handle), and the date is a German `dd.mm.yyyy HH:MM` in Berlin time."""

import copy
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from pipelines.extract.body.paragraphs import Paragraph, html_paragraphs
from pipelines.extract.document import Document
from pipelines.extract.sites.rules import SiteParser, register_parser

_BODY = etree.XPath("//article//div[contains(concat(' ', normalize-space(@class), ' '), ' meldung_wrapper ')]")
_AUTHOR_LINKS = etree.XPath("//article//*[contains(@class, 'ISI_IGNORE')]//a[starts-with(@href, 'mailto:')]/@title")
_DATE = etree.XPath("string(//article//*[contains(@class, 'news_datum')])")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2}))?")
BERLIN = ZoneInfo("Europe/Berlin")


@register_parser
class HeiseParser(SiteParser):
    name = "heise"
    domains = ("heise.de",)

    def paragraphs(self, document: Document) -> list[Paragraph] | None:
        found = _BODY(document.tree)
        if not found:
            return None
        body = copy.deepcopy(found[0])  # the page's tree is shared with the other extraction steps
        for furniture in body.xpath(".//figure | .//*[contains(@class, 'ISI_IGNORE')]"):
            furniture.drop_tree()
        return html_paragraphs(body) or None

    def authors(self, document: Document) -> list[str] | None:
        names = [" ".join(name.split()) for name in _AUTHOR_LINKS(document.tree) if name.strip()]
        return names or None

    def published(self, document: Document) -> tuple[str, str] | None:
        match = _GERMAN_DATE.search(_DATE(document.tree))
        if not match:
            return None
        day, month, year, hour, minute = match.groups()
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=BERLIN)
        return moment.isoformat(timespec="seconds"), "text"
