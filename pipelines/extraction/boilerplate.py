"""Paragraph-level boilerplate: lines that sit inside article containers but are not the article.

Phrase lists cover the languages news crawls meet most (en, de, fr, es, it, pt, nl) because a
"Read also" line is just as much junk in French. Rules look at one paragraph's text only, never at a
site's domain or URL.
"""

import re

from pipelines.extraction.paragraphs import Paragraph

_FLAGS = re.IGNORECASE | re.UNICODE

# Whole-line prompts and notices: short lines that start (or consist of) one of these.
_PROMPT = re.compile(
    r"^\W*(?:"
    r"read (?:also|more|next|the full)|see also|related(?: (?:articles?|stories|coverage|content|posts?))?\b|"
    r"more from|more on this|recommended|you may (?:also )?like|most (?:read|popular)|trending|"
    r"lire aussi|à lire aussi|voir aussi|lesen sie auch|mehr zum thema|auch interessant|"
    r"lee también|leer más|ver también|leia também|veja também|leggi anche|potrebbe interessarti|lees ook|"
    r"share (?:this|on)|share\b|tweet\b|email\b|print\b|"
    r"leave a (?:comment|reply)|post (?:a|your) comments?|comments?\s*(?:\(\d+\))?$|add a comment|"
    r"sign up|subscribe|newsletter|already a subscriber|log ?in\b|sign in|register\b|"
    r"follow us|click here|advertisement\b|advertising\b|anzeige\b|publicité\b|publicidad\b|"
    r"photo:|image:|picture:|foto:|credit:|source:|copyright|©|\(c\) \d{4}|all rights reserved"
    r")",
    _FLAGS,
)
# Phrases that mark a whole line as a paywall/subscription/cookie notice wherever they appear.
_NOTICE = re.compile(
    r"(?:free article limit|reached your (?:daily |monthly )?(?:free )?(?:article )?limit|"
    r"subscribe (?:now|today|to continue|and support)|to continue reading|become a subscriber|"
    r"subscribers? only|for subscribers|unlimited (?:digital )?access|ad-free access|try \d+ days free|"
    r"we use cookies|uses cookies|cookie policy|accept (?:all )?cookies|"
    r"jetzt abonnieren|weiterlesen mit|réservé aux abonnés|abonnez-vous|suscríbete|assine já|abbonati|"
    r"sign up for (?:our|the) newsletter|get our newsletter|must (?:be|become) a subscriber|"
    r"\bmin(?:ute)?s? read\b)",
    _FLAGS,
)
PROMPT_MAX_CHARS = 120


def is_boilerplate(paragraph: Paragraph) -> bool:
    """True for share/comment/newsletter prompts, paywall and cookie notices, link lists."""
    text = paragraph.text
    if paragraph.link_density > 0.6 and len(text) < 200:
        return True
    if len(text) <= PROMPT_MAX_CHARS and _PROMPT.search(text):
        return True
    return len(text) <= 2 * PROMPT_MAX_CHARS and bool(_NOTICE.search(text))
