"""Summary boxes ("Key points", "At a glance", AI-written bullets) that restate the article above it.

The bullets paraphrase sentences of the story, so keeping them says everything twice. A box is a
summary label followed by a run of list items; it goes only when the bullets' words are the story's
words, so an explainer's own list under "Key points" stays.
"""

import re

from pipelines.extract.body.paragraphs import Paragraph

_LABEL = re.compile(
    r"^\W*(?:key (?:points|takeaways|facts)|takeaways|summary|(?:article|story|ai) summary|in brief|at a glance|"
    r"tl;?dr|quick read|the short version|highlights|"
    r"das wichtigste(?: in kürze)?|auf einen blick|l'essentiel|en bref|à retenir|resumen|lo más importante|"
    r"in breve|in sintesi|em resumo|resumo|in het kort)\W*$",
    re.IGNORECASE,
)
_TOKENS = re.compile(r"\w+")
# Share of the bullets' words that must recur in the rest of the text for the box to be a restatement.
RESTATED_SHARE = 0.7


def drop_summary_boxes(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """The paragraphs without summary boxes whose bullets restate the rest of the text."""
    kept = list(paragraphs)
    index = 0
    while index < len(kept):
        end = index + 1
        while end < len(kept) and kept[end].tag == "li":
            end += 1
        if end > index + 1 and _LABEL.match(kept[index].text) and _restates(kept[index + 1 : end], kept[end:]):
            del kept[index:end]
        else:
            index += 1
    return kept


def _restates(bullets: list[Paragraph], rest: list[Paragraph]) -> bool:
    words = [t.casefold() for p in bullets for t in _TOKENS.findall(p.text)]
    story = {t.casefold() for p in rest for t in _TOKENS.findall(p.text)}
    return bool(words) and sum(w in story for w in words) >= RESTATED_SHARE * len(words)
