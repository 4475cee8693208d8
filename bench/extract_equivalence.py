"""Prove a speed change left `extract_article` output unchanged: hash every result on both corpora.

    python bench/extract_equivalence.py --save bench/results/equivalence.json    # before the change
    python bench/extract_equivalence.py --compare bench/results/equivalence.json # after: 0 differences

Runs every AEB page (its ground-truth URL) and every Mozilla Readability page (a fixed URL, all
categories, not only news) through `extract_article` and hashes each result as canonical JSON, so
any change in any field of any page shows up. `--dump` keeps the full results to diff a difference.
It also checks readability_measures' shortcuts against the readability code they replace, on every
element of every page: `clean_length` against `len(clean(text))`, `BlockMarkup` against the
regex over serialised markup.
"""

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from readability.readability import REGEXES, clean  # noqa: E402

from pipelines.extract.article import extract_article  # noqa: E402
from pipelines.extract.body.readability_measures import INLINE_TAGS, BlockMarkup, clean_length  # noqa: E402
from pipelines.extract.document import parse_html  # noqa: E402

CORPORA = Path("/work/shared/corpora")
READABILITY_URL = "https://news.example.com/2024/01/01/article.html"
# Fixed so dates capped by the fetch time do not depend on when the script runs.
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def pages(corpora: Path) -> Iterator[tuple[str, bytes, str]]:
    """(key, raw html bytes, url) for every page of both corpora, in a stable order."""
    truth = json.loads((corpora / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((corpora / "aeb" / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        yield f"aeb/{page_id}", gzip.decompress(path.read_bytes()), truth[page_id]["url"]
    for path in sorted((corpora / "readability" / "pages").glob("*/source.html")):
        yield f"readability/{path.parent.name}", path.read_bytes(), READABILITY_URL


def result_hashes(corpora: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """Per-page sha256 of the canonical JSON result, and the results themselves."""
    hashes, results = {}, {}
    for key, html, url in pages(corpora):
        result = extract_article(html, url, fetched_at=FETCHED_AT)
        canonical = json.dumps(result, sort_keys=True, ensure_ascii=False, default=str)
        hashes[key] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        results[key] = json.loads(canonical)
    return hashes, results


def shortcut_mismatches(corpora: Path) -> tuple[int, int]:
    """(elements checked, elements where a readability_measures shortcut differs from readability's code)."""
    checked = mismatched = 0
    divs_to_p = REGEXES["divToPElementsRe"]
    for _, html, _ in pages(corpora):
        document = parse_html(html)
        if document is None:
            continue
        block_markup = BlockMarkup(document.tree)
        for element in document.tree.iter():
            if not isinstance(element.tag, str):
                continue
            text = element.text_content() or ""
            checked += 1
            mismatched += clean_length(text) != len(clean(text))
            serialised = str(b"".join(etree.tostring(child, encoding="utf-8") for child in element))
            mismatched += block_markup.in_children(element) != bool(divs_to_p.search(serialised))
            if element.tag in INLINE_TAGS:
                serialised = etree.tounicode(element, method="html")
                mismatched += block_markup.in_element(element) != bool(divs_to_p.search(serialised))
    return checked, mismatched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--save", type=Path, help="write the hashes here (the baseline)")
    parser.add_argument("--compare", type=Path, help="compare with hashes saved earlier; exit 1 on a difference")
    parser.add_argument("--dump", type=Path, help="also write the full results (JSON) here")
    args = parser.parse_args()

    hashes, results = result_hashes(args.corpora)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True), encoding="utf-8")
    if args.dump:
        args.dump.write_text(json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    print(f"{len(hashes)} pages hashed")
    checked, mismatched = shortcut_mismatches(args.corpora)
    print(f"readability shortcuts: {mismatched} mismatches on {checked} elements")
    if args.compare:
        baseline = json.loads(args.compare.read_text(encoding="utf-8"))
        differing = sorted(key for key in baseline.keys() | hashes.keys() if baseline.get(key) != hashes.get(key))
        for key in differing:
            print(f"DIFFERENT {key}")
        print(f"{len(differing)} differences against {args.compare}")
        sys.exit(1 if differing or mismatched else 0)


if __name__ == "__main__":
    main()
