"""DOM-level boilerplate: page furniture removed before the article container is chosen.

Navigation, asides, figures/captions, share bars, comment threads, newsletter and paywall boxes,
related-story rails and the like are cut from a private copy of the tree, so readability scores only
prose and the paragraph filter sees fewer traps. Class and id names are matched as whole
hyphen/underscore/camelCase-separated words so "shareholder" or "commentary" survive, and a node holding most of
the page's prose is never cut whatever its class says (a wrapper named "has-sidebar").
"""

import re
from functools import lru_cache

from lxml import etree

from pipelines.extract.body.paragraphs import SKIP_TAGS

# Tags that are page furniture wherever they appear.
FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "figure", "figcaption", "picture", "video", "audio", "dialog"})
FURNITURE_ROLES = frozenset({"navigation", "complementary", "contentinfo", "banner", "dialog", "alert", "menu"})

_WORDS = (
    r"share|sharing|share-?bar|sharetools|social-?(?:share|links?|icons?|buttons?|bar|follow|media-links)|"
    r"related|relatedposts|related-?articles?|related-?stories|recommended|recirc|recirculation|more-?stories|"
    r"most-?popular|most-?read|trending|popular|read-?more|readmore|read-?next|also-?read|"
    r"comments?|comment-?(?:list|form|section|count)|disqus|respond|reply|"
    r"newsletter|subscribe|subscription|signup|sign-?up|paywall|piano|regwall|meter|"
    r"promo|advert|advertisement|ads?|ad-?(?:slot|unit|container|wrapper)|dfp|gpt|sponsored|outbrain|taboola|"
    r"breadcrumbs?|byline|author-?(?:bio|info|box|card)|about-?(?:the-?)?author|bio|"
    r"tags?|tag-?list|keywords|categories|topics|"
    r"caption|credit|image-?credit|photo-?credit|wp-caption-text|"
    r"standfirst|dek|subtitle|article-?excerpt|teaser|"
    r"cookie|cookies|consent|gdpr|modal|popup|popover|tooltip|hover-?card|rollover|flyout|overlay|toolbar|"
    r"ticker|breaking-?news-?ticker|sidebar|widget|rail"
)
_BOILERPLATE_NAME = re.compile(rf"(?:^|[\s_-])(?:{_WORDS})(?:$|[\s_-])", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LAYOUT_MODIFIER = re.compile(r"(?:^|(?<=\s))(?:\S*--)?(?:has|with|without|no)[-_]\S*", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)
# A flagged node that holds at least this share of the page's prose is the article, not furniture.
PROTECT_SHARE = 0.4


# Text runs long enough to be prose (menus and link lists are made of short ones), outside scripts.
_PROSE_RUNS = etree.XPath(".//text()[string-length(normalize-space()) > 40][not(ancestor::script or ancestor::style)]")
_FLAGGED_SPANS_IN_PARAGRAPHS = etree.XPath("//p//span[@class or @id][.//a][.//*[@class or @id]]")
# A figure is furniture when it frames a picture; one framing a table, a quotation or code is text of
# the article (WordPress wraps every table block in <figure class="wp-block-table">).
_FIGURE_OF_TEXT = etree.XPath("boolean(.//table | .//blockquote | .//pre)")
_EMAIL_FIELDS = etree.XPath("//input[@type='email' or contains(@name, 'email') or contains(@placeholder, 'mail')]")
SIGNUP_MAX_WORDS = 60
# Inline markup is part of a sentence: a link classed "tag" or "share" inside a paragraph is still its words.
INLINE_TAGS = frozenset({"a", "abbr", "b", "cite", "code", "em", "i", "mark", "q", "strong", "sub", "sup", "u"})
# Containers publishers use for the article itself: never furniture, whatever else their class says.
ARTICLE_TAGS = frozenset({"article", "main"})
# A signup box never grows past the article itself.
SIGNUP_BOX_LIMITS = ARTICLE_TAGS | {"body", "html"}
# schema.org summary properties marked up in the page: the standfirst, which repeats the meta
# description and which article-body annotations leave out.
SUMMARY_PROPS = frozenset({"description", "abstract", "alternativeHeadline"})


def prose_chars(element: etree._Element | None) -> int:
    """Characters of prose-length text runs under `element` (0 for None): the page's text mass."""
    return 0 if element is None else sum(len(run) for run in _PROSE_RUNS(element))


def _flagged(element: etree._Element) -> bool:
    tag = element.tag
    if tag == "figure" and _FIGURE_OF_TEXT(element):
        return False
    if tag in FURNITURE_TAGS or tag in SKIP_TAGS:
        return True
    attrib = element.attrib
    if "hidden" in attrib or attrib.get("aria-hidden") == "true":
        return True
    if attrib.get("role", "").lower() in FURNITURE_ROLES:
        return True
    style = attrib.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    itemprop = attrib.get("itemprop")
    if itemprop in SUMMARY_PROPS:
        return True
    if tag in ARTICLE_TAGS or tag in INLINE_TAGS or itemprop == "articleBody":
        return False
    names = f"{attrib.get('class', '')} {attrib.get('id', '')}"
    return len(names) > 1 and _is_boilerplate_name(names)


@lru_cache(maxsize=4096)
def _is_boilerplate_name(names: str) -> bool:
    """Cached: a page repeats the same few class names on hundreds of elements. Layout modifiers
    ("has-rail-right", "no-sidebar", "layout--with-ads") describe a wrapper's neighbours, not the wrapper."""
    return bool(_BOILERPLATE_NAME.search(_CAMEL.sub("-", _LAYOUT_MODIFIER.sub(" ", names))))


def _drop_hover_cards(tree: etree._Element) -> None:
    """Cut hover cards out of sentences, keeping the words that trigger them.

    A card sits with its trigger link in an inline wrapper inside a paragraph, the wrapper itself named
    like furniture ("rollover-people" around the linked name and its "rollover-people-block"): the
    wrapper must stay or a name vanishes mid-sentence, and inside a protected article wrapper the card
    would otherwise stay whole.
    """
    for wrapper in _FLAGGED_SPANS_IN_PARAGRAPHS(tree):
        if wrapper.getparent() is None or not _flagged(wrapper):
            continue
        cards = [part for part in wrapper.iterdescendants() if part.tag not in SKIP_TAGS and _flagged(part)]
        triggers = [link for link in wrapper.iter("a") if not any(link in card.iter() for card in cards)]
        if cards and triggers:
            for card in cards:
                card.drop_tree()
            wrapper.attrib.pop("class", None)
            wrapper.attrib.pop("id", None)


def _drop_signup_boxes(tree: etree._Element) -> None:
    """Cut newsletter boxes that no class name gives away: the widest small block around an email field.

    The box's pitch ("The stories that matter, in your inbox") is not a prompt line the text filter
    knows, but the email field is unmistakable and the box stays short.
    """
    for field in _EMAIL_FIELDS(tree):
        box = None
        parent = field.getparent()
        while parent is not None and parent.tag not in SIGNUP_BOX_LIMITS:
            if len(" ".join(parent.itertext()).split()) > SIGNUP_MAX_WORDS:
                break
            box, parent = parent, parent.getparent()
        if box is not None and box.getparent() is not None:
            box.drop_tree()


def prune_boilerplate(tree: etree._Element) -> etree._Element:
    """Remove furniture from `tree` in place and return it (call it on a copy of a shared tree)."""
    _drop_hover_cards(tree)
    _drop_signup_boxes(tree)
    total = prose_chars(tree) or 1
    doomed = []
    walker = etree.iterwalk(tree, events=("start",))
    for _, element in walker:
        if not isinstance(element.tag, str) or element.tag in ("html", "body") or not _flagged(element):
            continue
        walker.skip_subtree()
        if element.tag in SKIP_TAGS or prose_chars(element) < PROTECT_SHARE * total:
            doomed.append(element)
    for element in doomed:
        element.drop_tree()
    return tree
