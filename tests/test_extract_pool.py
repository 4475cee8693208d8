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


CTRL_C_WHILE_A_WORKER_STARTS = """
import os, signal, threading, time
from pipelines.extract.pool import ExtractionPool, children_ignore_interrupts

caught = []
signal.signal(signal.SIGINT, lambda *_: caught.append("crawl"))
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()  # a thread of the crawl's, an upload's say
pool = ExtractionPool(workers=1, warm=int)  # int: a warm-up that does nothing
with children_ignore_interrupts():  # as while the pool grows on a submit
    future = pool.submit(os.getpid)  # the worker is spawned now and is still starting Python; the pool has threads
    os.killpg(0, signal.SIGINT)  # a terminal's Ctrl-C: to the whole process group, the starting worker included
    time.sleep(0.2)
print(future.result() != os.getpid(), caught, flush=True)
pool.close()
"""


def test_ctrl_c_while_a_worker_starts_reaches_the_crawl_and_not_the_worker() -> None:
    """The crawl's handler sees the Ctrl-C (it decides how to stop), however many threads the pool has started; the
    worker, still importing, neither dies of it nor prints a KeyboardInterrupt."""
    import subprocess
    import sys

    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_A_WORKER_STARTS], capture_output=True, text=True,
                              timeout=60, start_new_session=True, cwd=Path(__file__).parent.parent)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\n")[0] == "True ['crawl']"
        assert "KeyboardInterrupt" not in done.stderr


CTRL_C_STORM_WHILE_IMPORT_WORKERS_START = """
import os, signal, threading, time
from pipelines.run.workers import BatchWorkers

caught = []
signal.signal(signal.SIGINT, lambda *_: caught.append("command"))
starting = threading.Event()

def storm():
    starting.wait()
    for _ in range(100):  # Ctrl-C held down for the whole start-up
        os.killpg(0, signal.SIGINT)
        time.sleep(0.005)

threading.Thread(target=storm, daemon=True).start()
workers = BatchWorkers(abs, workers=2, size=lambda _: 1)
starting.set()
print(list(workers.map(range(-5, 0))), bool(caught), flush=True)
workers.close()
"""


def test_ctrl_c_held_down_while_import_workers_start_kills_none() -> None:
    """The import's workers start their own resource tracker and processes in one go; none dies of the Ctrl-C."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CTRL_C_STORM_WHILE_IMPORT_WORKERS_START], capture_output=True,
                          text=True, timeout=60, start_new_session=True, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[5, 4, 3, 2, 1] True"
    assert "KeyboardInterrupt" not in done.stderr and "died" not in done.stderr
