"""Feeds and sitemaps written carelessly: the references in them that stop a parser, made harmless first.

One bad entry is to cost that entry only. A character reference to no XML character (`&#xD800;`, `&#1;`,
`&#1114112;`) ends libxml2's parse of a sitemap and makes feedparser's fallback parser raise for the whole feed;
it becomes U+FFFD, as an HTML parser makes it. A bare `&` in a sitemap URL (`?a=1&b=2`, the commonest sitemap
mistake) ends the parse too; it becomes `&amp;`, so the URL is the one the site meant.
"""

import re

_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")
# `&` that starts no reference XML knows without a DTD (sitemaps may have none: crawler.discovery.sitemaps)
_BARE_AMPERSAND = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#[xX][0-9a-fA-F]+);)")


def _is_xml_char(value: int) -> bool:
    return (value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD
            or 0x10000 <= value <= 0x10FFFF)


def _char_ref_replaced(match: re.Match[bytes]) -> bytes:
    hex_digits, digits = match.groups()
    text = (hex_digits or digits).lstrip(b"0")
    value = int(text or b"0", 16 if hex_digits else 10) if len(text) <= 8 else -1  # 9+ digits: past U+10FFFF
    return match.group() if _is_xml_char(value) else b"&#xFFFD"


def char_refs_repaired(data: bytes) -> bytes:
    """`data` with each character reference to no XML character turned into one to U+FFFD."""
    return _CHAR_REF.sub(_char_ref_replaced, data) if b"&#" in data else data


def ampersands_repaired(data: bytes) -> bytes:
    """`data` with each `&` that starts no predefined entity or character reference escaped (`&amp;`). Bytes in
    an ASCII-compatible encoding only (a UTF-16 document is left as it is)."""
    if b"&" not in data or b"\x00" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data
    return _BARE_AMPERSAND.sub(b"&amp;", data)
