"""Single-byte charset declarations on the shared corpora: wrong switches, fixes, and what the check costs.

The corpora are stored as UTF-8, which `decode_page` takes before any declaration, so their own bytes say
nothing about single-byte labels. Each page is therefore re-encoded in every single-byte charset that holds
(nearly) all of its non-ASCII characters (the rest become character references), and decoded twice:

- labelled right (`<meta charset>` of that charset);
- labelled windows-1252 (the commonest wrong label) when the two readings differ in at least MIN_DIFFERING
  characters: a page whose letters are in the wrong charset, not one whose two curly quotes are;

each with the single-byte check (`charset._better_reading`) and without it (the baseline, the check switched
off in this process). Every page whose text the check changes is listed: on a right label that is a wrong
switch (must be none); on the wrong label, fixed when the text is now the charset's reading. Pages of the
held-back half are counted, not named, unless --show-heldback. It also times `decode_page` both ways on the
right-labelled bytes (only single-byte declarations pay for the check).
"""

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpora import CORPORA, Page, add_corpus_arguments, load
from pipelines.extract import charset

CHARSETS = ("cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "iso-8859-2",
            "iso-8859-5", "iso-8859-7", "iso-8859-15", "koi8-r", "koi8-u")
MIN_NON_ASCII = 20  # characters a page must keep in the charset for its label to matter
MIN_ENCODABLE = 0.9  # share of the page's non-ASCII characters the charset must hold
MIN_DIFFERING = 20  # characters the wrong label must read differently for the page to count as mislabelled
_META_CHARSET = re.compile(r"<meta\b[^>]*charset[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def labelled(html: str, label: str, encoding: str) -> bytes:
    """The page with one `<meta charset>` of `label`, in `encoding` (missing characters as references)."""
    html = _META_CHARSET.sub("", html)
    meta = f'<meta charset="{label}">'
    html = _HEAD.sub(lambda head: head.group() + meta, html, count=1) if _HEAD.search(html) else meta + html
    return html.encode(encoding, errors="xmlcharrefreplace")


def natural_charsets(html: str) -> list[str]:
    """The single-byte charsets holding at least MIN_ENCODABLE of the page's non-ASCII characters."""
    non_ascii = [char for char in html if not char.isascii()]
    if len(non_ascii) < MIN_NON_ASCII:
        return []
    found = []
    for name in CHARSETS:
        held = sum(1 for char in non_ascii if char.encode(name, errors="ignore"))
        if held >= MIN_ENCODABLE * len(non_ascii) and held >= MIN_NON_ASCII:
            found.append(name)
    return found


def decoded(data: bytes, *, check: bool) -> tuple[str, float]:
    """decode_page's text and seconds, with the single-byte check (`_better_reading`) on or off (the baseline)."""
    better = charset._better_reading
    if not check:
        charset._better_reading = lambda data, declared: None  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        text = charset.decode_page(data)
        return text, time.perf_counter() - start
    finally:
        charset._better_reading = better  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(parser, CORPORA)
    args = parser.parse_args()
    corpora = load(args.corpora, args.corpus or CORPORA, limit=args.limit)
    counts: Counter[str] = Counter()
    spent = {True: 0.0, False: 0.0}
    changes: list[str] = []

    def changed(page: Page, what: str, verdict: str) -> None:
        counts[f"{page.split} {verdict}"] += 1
        if page.split == "tune" or args.show_heldback:
            changes.append(f"{what} {page.corpus}/{page.id}: {verdict}")

    for pages in corpora.values():
        for page in pages:
            counts["pages"] += 1
            stored = page.html.encode("utf-8")
            counts["stored_changed"] += decoded(stored, check=True)[0] != decoded(stored, check=False)[0]
            for encoding in natural_charsets(page.html):
                right = labelled(page.html, encoding, encoding)
                counts["right_labelled"] += 1
                texts = {}
                for check in (False, True):
                    texts[check], seconds = decoded(right, check=check)
                    spent[check] += seconds
                if texts[True] != texts[False]:
                    changed(page, f"{encoding} labelled right", "right" if texts[True] == right.decode(encoding)
                            else "WRONG SWITCH")
                wrong = labelled(page.html, "windows-1252", encoding)
                truth = wrong.decode(encoding)
                misread = wrong.decode("cp1252", errors="replace")  # one character a byte, as `truth`
                if sum(a != b for a, b in zip(truth, misread, strict=True)) < MIN_DIFFERING:
                    continue
                counts["mislabelled"] += 1
                before, after = decoded(wrong, check=False)[0], decoded(wrong, check=True)[0]
                counts["right before"] += before == truth
                counts["right after"] += after == truth
                if before != after:
                    changed(page, f"{encoding} labelled windows-1252", "fixed" if after == truth else "WRONG")
    runs = max(counts["right_labelled"], 1)
    print(f"pages {counts['pages']}; stored (UTF-8) bytes whose text the check changes: {counts['stored_changed']}")
    print(f"right-labelled single-byte variants {counts['right_labelled']}; labelled windows-1252 but in another "
          f"charset {counts['mislabelled']}: read right {counts['right before']} without the check, "
          f"{counts['right after']} with it")
    for key in sorted(key for key in counts if key.startswith(("tune ", "heldback "))):
        print(f"  changed by the check, {key}: {counts[key]}")
    for change in changes:
        print("  changed:", change)
    print(f"decode_page on right-labelled variants: {1000 * spent[False] / runs:.2f} ms/page without the check, "
          f"{1000 * spent[True] / runs:.2f} ms/page with it")


if __name__ == "__main__":
    main()
