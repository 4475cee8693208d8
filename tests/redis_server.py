"""A throwaway redis-server on a free port and in a temp dir (never the shared one at 6379)."""

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import require

# A crawl with REDIS_URL is a worker of a shared crawl, which ends once its frontier has been empty this long
# (30 s by default: workers starting a little later still join). Tests with one worker need not wait that long.
SHORT_IDLE = {"NEWSARCHIVE_DISTRIBUTED_IDLE_TIMEOUT": "2"}

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[str]:
    """`redis://127.0.0.1:PORT/0` of a fresh server without persistence; fails in CI when it cannot run."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    require(importlib.util.find_spec("redis") is not None, "the redis Python package is not installed")
    import redis

    port = free_port()
    server = subprocess.Popen([str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
