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


class RedisServer:
    """A redis-server on a free port in `directory`; `persistent`: every write in its append-only file, so a
    restart (`stop` then `start`, same port) comes back with the data, as a real deployment's does."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        binary = shutil.which("redis-server")
        require(binary is not None, "redis-server is not installed")
        require(importlib.util.find_spec("redis") is not None, "the redis Python package is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else ["--appendonly", "no"]
        self.command = [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
                        "--dir", str(directory)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Started and answering PING."""
        import redis

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[str]:
    """`redis://127.0.0.1:PORT/0` of a fresh server without persistence; fails in CI when it cannot run."""
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
