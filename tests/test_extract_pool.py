"""Extraction in worker processes gives the same records, and survives a worker that dies."""

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from pipelines.extract.article import extract_article
from pipelines.extract.pool import ExtractionPool

PAGE = (Path(__file__).parent / "fixtures" / "seeds").glob("*.html")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_pool_result_equals_in_process_result() -> None:
    pool = ExtractionPool(workers=1)
    try:
        for page in sorted(PAGE):
            html = page.read_bytes()
            url = "https://news.example/2024/05/17/story"
            assert run(pool.extract(html, url)) == extract_article(html, url)
    finally:
        pool.close()


def test_a_dead_worker_costs_a_retry_not_the_page() -> None:
    pool = ExtractionPool(workers=1)
    try:
        html = b"<html><head><title>T</title></head><body><article><p>" + b"word " * 80 + b"</p></article></body>"
        assert run(pool.extract(html, "https://a.example/x"))["word_count"] >= 80
        for pid in list(pool._pool._processes):
            os.kill(pid, signal.SIGKILL)
        result = run(pool.extract(html, "https://a.example/x"))
        assert result["word_count"] >= 80
        assert run(pool.extract(html, "https://a.example/y"))["word_count"] >= 80  # the restarted pool works
    finally:
        pool.close()


def test_zero_workers_extracts_in_process() -> None:
    pool = ExtractionPool(workers=0)
    assert run(pool.extract(b"<p>hello world</p>", "https://a.example/"))["text"] == "hello world"


def test_warm_up_loads_the_language_model_and_date_tables_once() -> None:
    import subprocess
    import sys

    code = ("import sys; from pipelines.extract import warm_up; from pipelines.extract.language import _identifier; "
            "warm_up(); print(_identifier.cache_info().currsize, 'dateparser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "True"]
