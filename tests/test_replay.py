"""Replay: the demo crawl's WARCs loaded into a real pywb 2.10 and viewed with headless Chromium.

This is the check that the archive is useful, not just well-formed: every article comes back byte for
byte (`id_`), the legacy redirect replays as a redirect, and a page renders in a browser (`mp_`).
pywb runs from its own cached venv (tests/tool_envs.py); Chromium is the Debian package
(tools/install-test-deps.sh installs both). The screenshot is kept in test-artifacts/.
"""

import http.client
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import require, run_cli
from tests.tool_envs import ToolEnvError, tool_bin

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# Framed replay (pywb's default) sends a top-level mp_ page to the frame wrapper, whose DOM is not the page's.
PYWB_CONFIG = "framed_replay: false\n"
START_TIMEOUT = 60.0


@dataclass
class Replay:
    """A running pywb serving the demo crawl as collection `c`."""

    port: int
    contents: ArchiveContents

    def get(self, mode: str, timestamp: str, url: str) -> tuple[int, str | None, bytes]:
        """Status, Location and body of one capture, not following redirects, asking for gzip as the crawler did.

        With gzip accepted pywb sends the stored (gzip) body as is, so it compares byte for byte.
        """
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", self.path(mode, timestamp, url), headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            return response.status, response.getheader("Location"), response.read()
        finally:
            conn.close()

    def path(self, mode: str, timestamp: str, url: str) -> str:
        return f"/c/{timestamp}{mode}/{url}"


def timestamp(record: dict[str, str]) -> str:
    """A record's capture time as a 14-digit replay timestamp."""
    return "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"wayback exited with {proc.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"wayback did not listen on {port} within {START_TIMEOUT} s")


@contextmanager
def pywb_serving(warcs: list[Path], root: Path) -> Iterator[int]:
    """A real pywb 2.10 (its own venv) serving `warcs` as collection `c`; yields its port."""
    try:
        bin_dir = tool_bin("pywb")
    except ToolEnvError as error:
        require(False, f"pywb 2.10 tool venv: {error}")
    pywb_dir = root / "pywb"
    pywb_dir.mkdir()
    (pywb_dir / "config.yaml").write_text(PYWB_CONFIG)
    subprocess.run([bin_dir / "wb-manager", "init", "c"], cwd=pywb_dir, check=True, capture_output=True)
    subprocess.run([bin_dir / "wb-manager", "add", "c", *map(str, warcs)], cwd=pywb_dir, check=True,
                   capture_output=True)
    port = free_port()
    with (root / "wayback.log").open("wb") as log:
        proc = subprocess.Popen([bin_dir / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=pywb_dir,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(proc, port)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    root = tmp_path_factory.mktemp("replay")
    archive = root / "archive"
    crawl = run_cli("demo", env={"ARCHIVE_URI": str(archive)})
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    contents = ArchiveContents.read(open_store(str(archive)))
    with pywb_serving([archive / key for key in contents.warcs], root) as port:
        yield Replay(port, contents)


def test_every_article_replays_with_its_original_bytes(replay: Replay) -> None:
    responses = replay.contents.responses()
    assert len(replay.contents.records) >= 10
    for record in replay.contents.records:
        stored = responses[record["url"]]
        status, _, body = replay.get("id_", timestamp(record), record["url"])
        assert status == int(stored.http_status), record["url"]
        assert body == stored.raw_payload, f"{record['url']}: replayed bytes differ"


def test_legacy_redirect_replays_as_a_redirect(replay: Replay) -> None:
    record = replay.contents.records[0]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(record["url"]))
    status, location, _ = replay.get("id_", timestamp(record), f"{origin}/story/10001")
    assert 300 <= status < 400
    target = location or ""
    assert urlsplit(target.rpartition("id_/")[2]).path in {urlsplit(r["url"]).path for r in replay.contents.records}


def test_article_renders_in_chromium(replay: Replay, tmp_path: Path) -> None:
    require(Path(CHROMIUM).is_file(), "headless Chromium is not installed (tools/install-test-deps.sh)")
    record = max(replay.contents.records, key=lambda r: r["word_count"])
    page = f"http://127.0.0.1:{replay.port}{replay.path('mp_', timestamp(record), record['url'])}"

    def chromium(*args: str) -> subprocess.CompletedProcess[str]:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page],
                              capture_output=True, text=True, timeout=120, check=False)

    dom = chromium("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    tree = lxml.html.fromstring(dom.stdout)
    headlines = [" ".join(h1.text_content().split()) for h1 in tree.iter("h1")]
    assert any(record["title"] in headline for headline in headlines), headlines
    assert "wombat" in dom.stdout  # pywb's client-side rewriting ran in the page, not a plain file view
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "replay-article.png"
    screenshot.unlink(missing_ok=True)
    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,1600", "--hide-scrollbars")
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
