"""Paragraph-level boilerplate: lines that sit inside article containers but are not the article.

Phrase lists cover the languages news crawls meet most (en, de, fr, es, it, pt, nl) because a
"Read also" line is just as much junk in French. Rules look at one paragraph's text only, never at a
site's domain or URL.
"""

import re

from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.textnorm import CJK

_FLAGS = re.IGNORECASE | re.UNICODE

# Cross-link labels in the languages news crawls meet most ("Read also", "Lire aussi", "Don't miss").
_CROSSLINK = (
    r"read (?:also|more|next|the full)|see also|related(?: (?:articles?|stories|coverage|content|posts?))?\b|"
    r"more from|more on this|recommended|you may (?:also )?like|most (?:read|popular)|don'?t miss|"
    r"lire aussi|à lire aussi|voir aussi|lesen sie auch|mehr zum thema|auch interessant|"
    r"lee también|leer más|ver también|leia também|veja também|leggi anche|potrebbe interessarti|lees ook|"
    r"czytaj (?:też|także|również)|zobacz (?:też|także)|läs (?:också|mer)|læs (?:også|mere)|les også|lue myös|"
    r"читайте также|смотрите также|ayrıca (?:bakınız|okuyun)"
)
# A line that is nothing but such a label heads a list of teaser links.
_CROSSLINK_LABEL = re.compile(rf"^\W*(?:{_CROSSLINK})\W*$", re.IGNORECASE | re.UNICODE)
# Lines that start with one of these are prompts, credits or cross-links, not article text.
_PROMPT = re.compile(
    r"^\W*(?:"
    rf"{_CROSSLINK}|"
    # share, comment, newsletter and account prompts
    r"share (?:this|on|via)|sharing is caring|"
    r"leave a (?:comment|reply)|post (?:a|your) comments?|comments?\s*(?:\(\d+\))?$|add a comment|"
    r"tell us what you think|have a tip|sign up (?:for|to|now|here)|subscribe (?:to (?:our|the)|now|today|for)|"
    r"already a subscriber|"
    r"follow (?:us|him|her|them)|click here|see more:|"
    r"advert(?:isement)?\b|advertising\b|anzeige\b|publicité\b|publicidad\b|pubblicità\b|"
    # interstitials between the parts of a story, and skip links
    r"(?:story|article|text) continues (?:below|after)|continue reading (?:the main story|below)|"
    r"skip (?:(?:to|past) (?:main |the )?)?(?:content|advert|ad\b|navigation)|"
    r"(?:skip past|after) (?:the )?(?:newsletter|email|podcast|ad|advert(?:isement)?) promotion|privacy notice:|"
    # credits, filing and citation lines
    r"credit:|\(?image credit|source:|quelle:|fuente:|fonte:|"
    r"filed under|additional reporting|"
    # publication stamps
    r"(?:updated|published|posted|last modified|aktualisiert|veröffentlicht|mis à jour|publié|publicado|"
    r"actualizado|atualizado|aggiornato|pubblicato)(?: on| at| le| am| el| em| il)?\s*[:\d]"
    r")",
    _FLAGS,
)
# Button and widget labels: a handful of words starting with one of these.
_LABEL = re.compile(
    r"^\W*(?:share|tweet|email|e-mail|print|subscribe|sign (?:up|in)|log ?in|register|newsletter|comments?|"
    r"learn more|see more|more:|iklan|reklama|reklame|werbung|publicidade|anuncio|advertentie|annons|реклама|"
    r"annonse|mainos|reklam|gift (?:this )?article|supported by|"
    r"teilen|drucken|partager|imprimer|compartir|imprimir|condividi|stampa|delen)\b",
    _FLAGS,
)
LABEL_MAX_WORDS = 5
# Phrases that mark a whole short line as a paywall, subscription, cookie or reading-time notice.
_NOTICE = re.compile(
    r"(?:free article limit|reached your (?:daily |monthly )?(?:free )?(?:article )?limit|"
    r"subscribe (?:now|today|to continue|and support)|to continue reading|become a subscriber|"
    r"subscribers? only|for subscribers|unlimited (?:digital )?access|ad-free access|try \d+ days free|"
    r"we use cookies|uses cookies|cookie policy|accept (?:all )?cookies|"
    r"jetzt abonnieren|weiterlesen mit|réservé aux abonnés|abonnez-vous|suscríbete|assine já|abbonati|"
    r"sign up for (?:our|the) newsletter|get our newsletter|must (?:be|become) a subscriber|"
    r"this slideshow requires javascript|enable javascript|if you enjoyed this (?:article|story|post)|"
    r"follow (?:[\w'’]+ ){0,3}on (?:twitter|facebook|instagram|linkedin|youtube|tiktok|x\b)|"
    r"follow (?:[\w'’]+ ){0,2}(?:full |live )?coverage|(?:can|may) be reached at|"
    r"\bmin(?:ute)?s? read\b|reading time|lesezeit|temps de lecture|tiempo de lectura|tempo de leitura|"
    r"tempo di lettura|leestijd|listen to this (?:article|story)|"
    r"(?:delivered|straight|sent) (?:to|into) your inbox|^\W*loading\W*$|"
    r"summary (?:was |is |has been )?(?:generated|created|written|produced) (?:by|with|using) "
    r"(?:the help of )?(?:an? )?(?:ai|artificial intelligence)\b)",
    _FLAGS,
)
# Captions and legal lines announce themselves at the start; they can run long, so no limit short of prose.
_CAPTION = re.compile(
    r"^\W*(?:(?:featured image|photos?|photograph|illustration|images?|pictures?|fotos?|bild|caption|légende|"
    r"pie de foto|citation)\s*:|(?:image|media|video) (?:caption|source)\s*[,:]|"
    r"a version of this (?:article|story) appear(?:s|ed) in print|"
    r"copyright\b|©|\(c\) \d{4}|all rights reserved|this (?:document|article|material) is (?:subject to|protected by) "
    r"copyright|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|tutti i diritti riservati)",
    _FLAGS,
)
CAPTION_MAX_CHARS = 600
# The publisher's own sales pitch, announced by its first words; it runs as long as a caption.
_PITCH = re.compile(
    r"^\W*(?:if you (?:enjoyed|liked|value|appreciate|rely on) (?:this (?:article|story|post|newsletter)|"
    r"our (?:journalism|reporting|work)|reading)|"
    r"(?:get|enjoy|unlock) (?:unlimited |full |digital |instant |exclusive )?access to|"
    r"support (?:our|independent|quality|local) (?:journalism|reporting)|"
    r"become an? (?:member|subscriber|supporter|patron)|our (?:[\w'’-]+ ){0,2}(?:email|newsletter) "
    r"(?:breaks down|brings you|delivers|gives you|sends you|rounds up)|"
    r"get (?:[\w'’-]+ ){1,5}delivered (?:to|through|into) your (?:inbox|door|letterbox|mailbox))",
    _FLAGS,
)
# A caption ends with its credit ("Waves over the wall. Photograph: Jane Doe/Agency", "… (Image: GETTY)",
# "installation views, photos © Studio, 2018"); a sentence ending in a full stop is not one.
_TRAILING_CREDIT = re.compile(
    r"(?:\b(?:photograph|photo|image|picture|illustration|video|credit|foto|bild)s?\s*:\s*[^.!?:]{2,80}"
    r"|\((?:photos?|images?|pictures?|credit|fotos?|bild)\s*:\s*[^)]{2,60}\)|©\s*[^.!?©]{2,60})[^\w.!?]*$",
    _FLAGS,
)
# Unrendered CMS shortcodes ("[button link=...]Send us[/button]") are template residue.
_SHORTCODE = re.compile(r"\[/[a-z_]+\]")
# Agency/photographer credit lines under pictures.
_CREDIT = re.compile(r"getty images|\bap photo\b|shutterstock|reuters/|/reuters|\bafp/|/afp\b|\bepa\b", _FLAGS)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
PROMPT_MAX_CHARS = 120
CREDIT_MAX_WORDS = 12
DATELINE_MAX_CHARS = 60
DATELINE_MAX_WORDS = 6
LINK_HEADLINE_DENSITY = 0.9
LINK_HEADLINE_MIN_WORDS = 5
LINK_HEADLINE_MIN_CJK_CHARS = 10
# Under a cross-link label, a line that is mostly link is a teaser, whatever tags trail it.
CROSSLINK_MIN_LINK_DENSITY = 0.5


def is_dateline(text: str) -> bool:
    """A short line that is a date/time stamp ("Nov. 20, 2019 6:02 AM EST"), in any language.

    Attribution lines of quoted posts ("— Jane Doe (@jane) November 18, 2019") are quote text, not stamps.
    """
    return (
        len(text) <= DATELINE_MAX_CHARS
        and bool(_YEAR.search(text))
        and len(_LETTERS.findall(text)) <= DATELINE_MAX_WORDS
        and "@" not in text
        and not text.lstrip().startswith(("—", "–", "-"))
        and not text.rstrip().endswith((".", "!", "?", ":"))
    )


def is_link_headline(paragraph: Paragraph) -> bool:
    """A line that is all link and reads like a headline: a teaser for another story, not a sentence.
    Headline length counts words, or characters in scripts written without spaces (CJK)."""
    text = paragraph.text
    long_enough = (
        len(text.split()) >= LINK_HEADLINE_MIN_WORDS or len(CJK.findall(text)) >= LINK_HEADLINE_MIN_CJK_CHARS
    )
    return (
        paragraph.link_density >= LINK_HEADLINE_DENSITY
        and long_enough
        and not text.rstrip().endswith((".", "!", "?", ":", ";", ",", "。", "！", "？"))
    )


def drop_crosslink_runs(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Without the teaser links listed under a bare cross-link label ("DON'T MISS" then three linked
    headlines tagged "[VIDEO]"): mostly-link lines up to the next line of prose."""
    kept: list[Paragraph] = []
    in_run = False
    for paragraph in paragraphs:
        if _CROSSLINK_LABEL.match(paragraph.text):
            in_run = True
        elif in_run and paragraph.link_density >= CROSSLINK_MIN_LINK_DENSITY:
            continue
        else:
            in_run = False
        kept.append(paragraph)
    return kept


def is_boilerplate(paragraph: Paragraph) -> bool:
    """True for share/comment/newsletter prompts, paywall and cookie notices, credits, date stamps, teasers."""
    text = paragraph.text
    if len(text) <= PROMPT_MAX_CHARS and (_PROMPT.search(text) or is_dateline(text)):
        return True
    if _SHORTCODE.search(text):
        return True
    if len(text.split()) <= LABEL_MAX_WORDS and _LABEL.search(text):
        return True
    if len(text) <= CAPTION_MAX_CHARS and (
        _CAPTION.search(text) or _TRAILING_CREDIT.search(text) or _PITCH.search(text)
    ):
        return True
    if is_link_headline(paragraph):
        return True
    if len(text.split()) <= CREDIT_MAX_WORDS and _CREDIT.search(text):
        return True
    return len(text) <= 2 * PROMPT_MAX_CHARS and bool(_NOTICE.search(text))
