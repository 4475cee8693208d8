"""Run a crawl of the hostile site in a private network namespace, and read what it left behind.

Only the product's outside is used: the CLI (through harness.py) and the files it writes (WARCs read with warcio,
records JSONL.gz, run reports, CDXJ indexes, the spool). Nothing of crawler/ or pipelines/ is imported, so the
suite survives any reshuffle of their modules.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import require
from tests.hostile.server import ANCHOR_HOST, CAPTCHA_HOST, HOST, PORT, THROTTLE_HOST, HostileSite
from tests.tool_envs import ToolEnvError, tool_bin

REPO = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "newsarchive-tests" / "hostile"
RSS_LIMIT = int(1.5 * 1024**3)
# Settings that keep one crawl of the site within a couple of minutes; everything else is the product's default.
FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_DOWNLOAD_TIMEOUT": "15", "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "NEWSARCHIVE_WARC_MAX_SIZE": "30000000", "NEWSARCHIVE_PROGRESS": "plain"}
MAX_URLS_PER_SHAPE = 30   # the product's default (settings: MAX_URLS_PER_SHAPE)
BAN_THRESHOLD = 10        # the product's default (settings: BAN_THRESHOLD)
ARCHIVE_MAX_RESPONSE_SIZE = 50 * 1024 * 1024  # the product's default


def sites_yaml(profile: str) -> str:
    entries = [("hostile", HOST)] + ([("captcha-storm", CAPTCHA_HOST), ("throttle-storm", THROTTLE_HOST),
                                      ("anchors", ANCHOR_HOST)] if profile == "main" else [])
    return "sites:\n" + "".join(
        f"  - name: {name}\n    homepage: http://{host}:{PORT}/\n    article_patterns: ['/news/']\n"
        f"    deny_patterns: ['/denied/']\n    allow_private_network: true\n    delay: 0\n"
        for name, host in entries)


def unshare_command() -> list[str]:
    return ["unshare", "--net", "--mount", "--fork", *([] if os.geteuid() == 0 else ["--map-root-user"])]


def namespaces_usable() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run([*unshare_command(), "ip", "link", "set", "lo", "up"], capture_output=True, check=False)
    return probe.returncode == 0


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


@dataclass
class Capture:
    """One WARC record, payload as stored (still content-encoded)."""

    warc: Path
    type: str
    uri: str
    status: int | None
    headers: list[tuple[str, str]]
    payload: bytes
    digest: str | None
    truncated: str | None
    archived: bool  # in the archive (else still in the spool)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def read_warc(path: Path, archived: bool) -> list[Capture]:
    captures = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            http = record.http_headers if record.rec_type in ("response", "revisit") else None
            payload = record.raw_stream.read() if record.rec_type == "response" else b""
            status = http.get_statuscode() if http else None
            captures.append(Capture(
                warc=path, type=record.rec_type, uri=record.rec_headers.get_header("WARC-Target-URI") or "",
                status=int(status) if status and status.isdigit() else None,
                headers=list(http.headers) if http else [], payload=payload,
                digest=record.rec_headers.get_header("WARC-Payload-Digest"),
                truncated=record.rec_headers.get_header("WARC-Truncated"), archived=archived))
    return captures


def read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines() if line]


@dataclass
class Phase:
    name: str
    returncode: int
    timed_out: bool
    duration: float
    peak_rss: int
    leftovers: list[dict[str, Any]]
    rss_guard_tripped: bool
    stdout: str
    stderr: str


@dataclass
class HostileRun:
    """What one harness run (one or more crawls of the site into one archive) left behind."""

    workdir: Path
    site: HostileSite            # the same cases the server served (for URLs, tokens, expectations)
    secret: Path
    secret_marker: str
    env_marker: str
    secret_atime: float
    problems: list[str]
    phases: list[Phase]
    log: list[dict[str, Any]]
    canary_hits: list[dict[str, Any]]
    _captures: list[Capture] | None = field(default=None, repr=False)

    @property
    def archive(self) -> Path:
        return self.workdir / "archive"

    @property
    def archives(self) -> list[Path]:
        """`archive`, plus `archive-<name>` of crawls that had one of their own."""
        return [p for p in [self.archive, *sorted(self.workdir.glob("archive-*"))] if p.exists()]

    @property
    def spools(self) -> list[Path]:
        return [p for p in [self.workdir / "spool", *sorted(self.workdir.glob("spool-*"))] if p.exists()]

    def archived(self, key: str) -> Path | None:
        """The file of an archive key, in whichever archive holds it."""
        return next((root / key for root in self.archives if (root / key).exists()), None)

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)

    def output(self, name: str) -> str:
        phase = self.phase(name)
        return phase.stdout + phase.stderr

    # -- files

    def archived_warcs(self) -> list[Path]:
        return sorted(p for root in self.archives for p in root.glob("warc/**/*.warc.gz"))

    def spool_warcs(self) -> list[Path]:
        return sorted(p for root in self.spools for p in root.rglob("*.warc.gz"))

    def open_files(self) -> list[Path]:
        return sorted(p for root in (*self.spools, *self.archives) for p in root.rglob("*.open"))

    @cached_property
    def captures(self) -> list[Capture]:
        """Every record of every complete WARC, archived or still in the spool."""
        found = []
        for path in self.archived_warcs():
            found += read_warc(path, archived=True)
        for path in self.spool_warcs():
            found += read_warc(path, archived=False)
        return found

    def responses(self, url: str) -> list[Capture]:
        return [c for c in self.captures if c.type in ("response", "revisit") and c.uri == url]

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """Records in the archive, then any complete records file still in the spool."""
        found = []
        roots = [root / "records" for root in self.archives] + [p for s in self.spools for p in s.glob("*/records")]
        for root in roots:
            for path in sorted(root.rglob("*.jsonl.gz")):
                found += read_jsonl_gz(path)
        return found

    def records_of(self, url: str) -> list[dict[str, Any]]:
        return [r for r in self.records if url in (r.get("url"), r.get("requested_url"))]

    @cached_property
    def reports(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for root in self.archives for p in sorted(root.glob("runs/*.json"))]

    def every_output_file(self) -> list[Path]:
        own = ("config.json", "markers.json", "hosts")  # the harness's, holding the markers on purpose
        return [p for p in self.workdir.rglob("*") if p.is_file() and p.name not in own
                and self.secret.parent not in p.parents]

    # -- the server's side

    def served(self, *, case: str | None = None, phase: int | None = None, path_prefix: str | None = None,
               host: str = HOST) -> list[dict[str, Any]]:
        return [e for e in self.log if (case is None or e.get("case") == case)
                and (phase is None or e.get("phase") == phase) and e.get("host") == host
                and (path_prefix is None or e["target"].startswith(path_prefix))]

    def served_url(self, entry: dict[str, Any]) -> str:
        return f"http://{entry['host']}:{PORT}{entry['target']}"


def run_hostile(workdir: Path, profile: str, phases: list[tuple[str, list[str], dict[str, str], float]]) -> HostileRun:
    """Serve the hostile site (one profile) in a fresh network namespace and run the crawls (name, CLI args, env,
    timeout) one after the other into one archive."""
    require(namespaces_usable(), "needs `unshare --net --mount` and iproute2 (run as root, or with user namespaces)")
    workdir.mkdir(parents=True, exist_ok=True)
    secret_marker, env_marker = f"SECRET-{uuid.uuid4().hex}", f"ENVMARK-{uuid.uuid4().hex}"
    secret = workdir / "secret" / "local-secret.html"
    secret.parent.mkdir()
    secret.write_text(f'<html><body><p>{secret_marker}</p><a href="http://127.0.0.3:{PORT}/from-local-file">more</a>'
                      f'<a href="http://{HOST}:{PORT}/news/from-local-file">article</a></body></html>')
    stat = secret.stat()
    os.utime(secret, (stat.st_mtime - 10_000, stat.st_mtime))  # relatime: any read moves atime forward
    atime = secret.stat().st_atime
    sites = workdir / "sites.yaml"
    sites.write_text(sites_yaml(profile))
    base_env = {"ARCHIVE_URI": str(workdir / "archive"), "NEWSARCHIVE_SPOOL": str(workdir / "spool"),
                # s3:// links must not reach any S3 endpoint: point the AWS SDK at a canary
                "AWS_ENDPOINT_URL": f"http://127.0.0.3:{PORT}", "AWS_ACCESS_KEY_ID": "canary-not-a-key",
                "AWS_SECRET_ACCESS_KEY": "canary-not-a-secret", "HOSTILE_ENV_MARKER": env_marker, **FAST}
    config = {
        "workdir": str(workdir), "secret": str(secret), "cache": str(CACHE), "profile": profile,
        "results": str(workdir / "results.json"),
        "phases": [{"name": name, "args": [*args[:1], "--sites", str(sites), *args[1:]], "env": {**base_env, **env},
                    "cwd": str(workdir), "timeout": timeout} for name, args, env, timeout in phases],
    }
    (workdir / "config.json").write_text(json.dumps(config))
    (workdir / "markers.json").write_text(json.dumps({"secret": secret_marker, "env": env_marker, "atime": atime}))
    total = sum(p[3] for p in phases) + 120
    subprocess.run([*unshare_command(), sys.executable, "-m", "tests.hostile.harness", str(workdir / "config.json")],
                   cwd=REPO, check=True, timeout=total, env={**os.environ, "PYTHONPATH": str(REPO)})
    return load_run(workdir)


def load_run(workdir: Path) -> HostileRun:
    """What a finished harness run left in `workdir` (also handy to look at a run by hand)."""
    config = json.loads((workdir / "config.json").read_text())
    markers = json.loads((workdir / "markers.json").read_text())
    results = json.loads((workdir / "results.json").read_text())
    phases = [Phase(name=p["name"], returncode=p["returncode"], timed_out=p["timed_out"], duration=p["duration"],
                    peak_rss=p["peak_rss"], leftovers=p["leftovers"], rss_guard_tripped=p["rss_guard_tripped"],
                    stdout=Path(p["stdout"]).read_text(errors="replace"),
                    stderr=Path(p["stderr"]).read_text(errors="replace")) for p in results["phases"]]
    secret = Path(config["secret"])
    return HostileRun(workdir=workdir, site=HostileSite(secret, CACHE, config["profile"]), secret=secret,
                      secret_marker=markers["secret"], env_marker=markers["env"], secret_atime=markers["atime"],
                      problems=results["problems"], phases=phases, log=results["log"],
                      canary_hits=results["canary_hits"])


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """`warcio check -v`, with the brotli binding warcio is written for: its br decoder needs brotlipy, which cannot
    be installed beside the brotli Scrapy needs, so the project's own warcio raises AttributeError on any br
    response. The pywb tool venv (tests/tool_envs.py) has warcio with brotlipy."""
    try:
        warcio = tool_bin("pywb") / "warcio"
    except ToolEnvError as error:
        require(False, f"pywb tool venv (its warcio): {error}")
    return subprocess.run([str(warcio), "check", "-v", str(path)], capture_output=True, text=True, check=False)
