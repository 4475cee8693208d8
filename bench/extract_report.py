"""Markdown tables for bench/README.md from the JSON the extraction benches write with --json.

    python bench/extract_report.py /work/notes/extract_baseline.json

Prints the body table (per corpus, tune and held-back half, every extractor), catastrophic counts,
the metadata table (raw reference) and the speed ratio, for whichever sections the file has.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SPLITS = ("tune", "heldback")


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def body_tables(body: dict[str, Any]) -> list[str]:
    lines = [
        "| corpus | half | extractor | AEB F1 | P | R | acc | word-F1 | with | without absent | pages/CPU-s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for corpus, report in body["corpora"].items():
        for split in SPLITS:
            for name, f in report["figures"][split].items():
                speed = report["speed"][name]["pages_per_cpu_second"] if split == "tune" else None
                lines.append(
                    f"| {corpus} | {split} ({f['pages']}) | {name} | {_f(f['f1'])} | {_f(f['precision'])} | "
                    f"{_f(f['recall'])} | {_f(f['accuracy'])} | {_f(f['word_f1'])} | {_f(f['with_found'])} | "
                    f"{_f(f['without_absent'])} | {_f(speed, 1) if speed else ''} |"
                )
    lines += ["", "| corpus | catastrophic: tune | held back | all | > 0.2 below trafilatura: tune | held back |",
              "|---|---|---|---|---|---|"]
    for corpus, report in body["corpora"].items():
        c, b = report.get("catastrophic"), report.get("below_trafilatura")
        if c is None or b is None:
            continue
        cells = [f"{c[s]['count']} ({c[s]['share']:.1%})" for s in (*SPLITS, "all")]
        cells += [f"{b[s]['count']} ({b[s]['share']:.1%})" for s in SPLITS]
        lines.append(f"| {corpus} | " + " | ".join(cells) + " |")
    return lines


def metadata_table(metadata: dict[str, Any]) -> list[str]:
    fields = ("title", "authors", "authors_named", "authors_soft", "date", "language")
    lines = [
        "| corpus | half | extractor | title | authors exact | authors exact (reference names someone) "
        "| authors soft F1 | date | language |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for corpus, report in metadata["corpora"].items():
        if "raw" not in report:
            continue
        for split in SPLITS:
            for name, f in report["raw"][split].items():
                cells = [_f(f[field]["score"]) for field in fields]
                lines.append(f"| {corpus} | {split} ({report['pages'][split]}) | {name} | " + " | ".join(cells) + " |")
    return lines


def speed_line(speed: dict[str, Any]) -> list[str]:
    wall, cpu = speed["figures"]["wall"], speed["figures"]["cpu"]
    return [
        f"{speed['pages']} pages ({speed['sample']}), median of {speed['passes']} passes, one process: "
        f"extract_article {wall['newsarchive']['pages_per_second']} pages/s, bare_extraction with metadata "
        f"{wall['trafilatura']['pages_per_second']} pages/s, ratio **{wall['ratio']:.2f}** wall-clock "
        f"({cpu['ratio']:.2f} CPU)."
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="file written by the benches' --json")
    args = parser.parse_args()
    try:
        document = json.loads(args.json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"cannot read {args.json}: {error}")
    for section, render in (("body", body_tables), ("metadata", metadata_table), ("speed", speed_line)):
        if section in document:
            run = document[section]["run"]
            print(f"<!-- {section}: {run['command']} at {run['commit']}{' (dirty)' if run['dirty'] else ''} -->")
            print("\n".join(render(document[section])) + "\n")


if __name__ == "__main__":
    main()
