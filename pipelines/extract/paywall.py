"""Is the archived body the whole article, or what a paywall let through?

Three independent kinds of evidence, each reported as its own stable signal so downstream users can
choose how strict to be: the publisher's own declaration (`isAccessibleForFree`), paywall vendor
markup in the page, and a body that is only a teaser followed by a subscription prompt.
"""

import re
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from pipelines.extract.textnorm import word_count

TEASER_MAX_WORDS = 150
_MARKUP = re.compile(
    r"paywall|\bpiano\b|piano[-_]|\btp-(?:container|modal|backdrop|iframe)|subscribers?[-_]only|"
    r"metered[-_]?content|regwall|registration[-_]?wall|(?:article|content)[-_]locked|locked[-_]content",
    re.IGNORECASE,
)
# Every alternative of `_MARKUP` contains one of these.
_MARKUP_WORDS = ("paywall", "piano", "tp-", "subscriber", "metered", "regwall", "registration", "locked")
_CLASS_AND_ID_VALUES = etree.XPath("//@class | //@id", smart_strings=False)
_TEASER_PROMPT = re.compile(
    r"subscribe (?:now )?to (?:continue|read|keep)|to continue reading|continue reading with|already a subscriber"
    r"|subscribers? only|exclusive to subscribers|for subscribers|this (?:article|story) is for subscribers"
    r"|(?:sign|log) in to (?:read|continue)|(?:create a free account|register) to (?:read|continue)"
    r"|unlock this (?:article|story)|réservé aux abonnés|nur für abonnenten|exclusivo para (?:suscriptores|assinantes)"
    r"|riservato agli abbonati|alleen voor abonnees",
    re.IGNORECASE,
)


def _declared_not_free(metadata: dict[str, Any]) -> bool:
    return metadata.get("is_accessible_for_free") is False


def _has_paywall_markup(tree: HtmlElement) -> bool:
    """Paywall vendor (Piano/Tinypass) and CMS class or id names anywhere in the page.

    One search over all names joined by spaces instead of one per element: no alternative of `_MARKUP`
    matches a space and `\\b` sees a space as it sees the string's edge, so a match never spans two names
    and the answer is the per-element one.
    """
    names = " ".join(_CLASS_AND_ID_VALUES(tree))
    if names.isascii():  # case-insensitive on ASCII is lowercase: skip the slow regex on clean pages
        lowered = names.lower()
        if not any(word in lowered for word in _MARKUP_WORDS):
            return False
    return bool(_MARKUP.search(names))


def _is_teaser(tree: HtmlElement, text: str) -> bool:
    """A short body on a page that tells the reader the rest is for subscribers.

    Bare "Subscribe" links are on every news page, so only read-on prompts count.
    """
    if word_count(text) > TEASER_MAX_WORDS:
        return False
    page_text = " ".join(tree.xpath("//body//text()[not(ancestor::script or ancestor::style)]"))
    return bool(_TEASER_PROMPT.search(text) or _TEASER_PROMPT.search(page_text))


def detect_paywall(document: Any, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """`{"detected": bool, "signals": [...]}` with signals `isAccessibleForFree=false`, `paywall-markup`,
    `teaser-only`."""
    signals = []
    if _declared_not_free(metadata):
        signals.append("isAccessibleForFree=false")
    if _has_paywall_markup(document.tree):
        signals.append("paywall-markup")
    if text.strip() and _is_teaser(document.tree, text):
        signals.append("teaser-only")
    return {"detected": bool(signals), "signals": signals}
