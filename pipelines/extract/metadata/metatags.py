"""The page's <meta> tags, read once into a case-insensitive multimap.

Metadata lives under `property` (Open Graph), `name` (Twitter, Dublin Core, CMS-specific),
`itemprop` (microdata) or `http-equiv`; publishers mix them freely, so all four are one key space (and one attribute may
hold several space-separated keys, as RDFa allows).
"""

from collections import defaultdict

from lxml.html import HtmlElement

_KEY_ATTRIBUTES = ("property", "name", "itemprop", "http-equiv")


class MetaTags:
    """`get("og:title", "twitter:title")` returns the first value found, in the order of the keys."""

    def __init__(self, tree: HtmlElement) -> None:
        self._values: dict[str, list[str]] = defaultdict(list)
        for meta in tree.iter("meta"):
            content = (meta.get("content") or "").strip()
            if not content:
                continue
            for attribute in _KEY_ATTRIBUTES:
                for key in (meta.get(attribute) or "").lower().split():
                    self._values[key].append(content)

    def get(self, *keys: str) -> str | None:
        for key in keys:
            if self._values.get(key):
                return self._values[key][0]
        return None

    def all(self, *keys: str) -> list[str]:
        """Every value under any of the keys (e.g. repeated `article:tag`), in key order."""
        return [value for key in keys for value in self._values.get(key, [])]
