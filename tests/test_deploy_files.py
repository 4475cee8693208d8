"""The deployment examples in deploy/ stay valid: Kubernetes shapes, settings names, systemd units.

Fast, no cluster and no containers: the Kubernetes manifests are checked against the fields the API server
requires for their kinds (a small schema of the batch/v1 and core/v1 shapes, not a full OpenAPI check); every
environment value in deploy/ goes through the project's own settings parser, so a renamed or mistyped
NEWSARCHIVE_* variable fails here rather than at 3 a.m. in a CronJob. tests/test_compose.py runs compose.yaml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from crawler.sites.load import parse_sites_text
from settings.env import environment_values
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """Every Kubernetes object under deploy/kubernetes, by (kind, name)."""
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(document, dict), f"{path.name}: not a mapping"
            for field in ("apiVersion", "kind"):
                assert isinstance(document.get(field), str), f"{path.name}: no {field}"
            if document["kind"] == "Kustomization":
                continue
            name = document.get("metadata", {}).get("name")
            assert isinstance(name, str) and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 52, (
                f"{path.name}: metadata.name {name!r} (DNS-1123 label; <= 52 characters for a CronJob's jobs)")
            found[(document["kind"], name)] = document
    return found


def check_pod_spec(where: str, pod: dict[str, Any], objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    """The core/v1 PodSpec fields a Job's pod must have, and references that resolve to objects shipped here."""
    assert pod.get("restartPolicy") in {"Never", "OnFailure"}, f"{where}: a Job's pod: restartPolicy Never/OnFailure"
    containers = pod.get("containers")
    assert isinstance(containers, list) and containers, f"{where}: spec.containers is required"
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for container in containers:
        assert isinstance(container.get("name"), str) and isinstance(container.get("image"), str), (
            f"{where}: every container needs name and image")
        assert container.get("args", ["crawl"])[0] in {"crawl", "backfill", "import", "reextract"}, where
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert ("ConfigMap", source["configMapRef"]["name"]) in objects, f"{where}: no such ConfigMap"
            if "secretRef" in source:  # the Secret is an example file, created by the operator
                assert (KUBERNETES / "secret.example.yaml").exists()
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, f"{where}: volumeMount {mount['name']!r} has no volume"
            assert mount["mountPath"].startswith("/"), where
    for name, volume in volumes.items():
        if "configMap" in volume:
            config = objects[("ConfigMap", volume["configMap"]["name"])]
            for item in volume["configMap"].get("items", []):
                assert item["key"] in config["data"], f"{where}: volume {name}: no key {item['key']!r}"
        if "persistentVolumeClaim" in volume:
            assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in objects, where
    assert pod.get("securityContext", {}).get("runAsUser") == 10001, f"{where}: the image's user is 10001"


def test_kubernetes_manifests_have_the_fields_the_api_requires() -> None:
    objects = manifests()
    kinds = {kind for kind, _ in objects}
    assert {"CronJob", "Job", "ConfigMap", "Secret", "PersistentVolumeClaim"} <= kinds
    for (kind, name), document in objects.items():
        where = f"{kind}/{name}"
        expected = {"CronJob": "batch/v1", "Job": "batch/v1"}.get(kind, "v1")
        assert document["apiVersion"] == expected, f"{where}: apiVersion {document['apiVersion']}"
        if kind == "CronJob":
            spec = document["spec"]
            fields = spec["schedule"].split()
            assert len(fields) == 5 and all(re.fullmatch(CRON_FIELD, f) for f in fields), f"{where}: schedule"
            assert spec.get("concurrencyPolicy") in {"Allow", "Forbid", "Replace"}
            check_pod_spec(where, spec["jobTemplate"]["spec"]["template"]["spec"], objects)
        elif kind == "Job":
            spec = document["spec"]
            if spec.get("completionMode") == "Indexed":
                assert isinstance(spec.get("completions"), int), f"{where}: an Indexed Job needs completions"
            assert spec.get("parallelism", 1) <= spec.get("completions", 1), where
            check_pod_spec(where, spec["template"]["spec"], objects)
        elif kind == "ConfigMap":
            assert all(isinstance(v, str) for v in document["data"].values()), f"{where}: data values are strings"
        elif kind == "Secret":
            assert document.get("type", "Opaque") == "Opaque"
            assert all(v == "replace-me" for v in document["stringData"].values()), f"{where}: example values only"
        elif kind == "PersistentVolumeClaim":
            assert document["spec"]["accessModes"] and document["spec"]["resources"]["requests"]["storage"]


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    shipped = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == shipped


def test_configmap_settings_and_sites_file_are_valid() -> None:
    config = manifests()[("ConfigMap", "newsarchive-config")]["data"]
    sites = parse_sites_text(config.pop("sites.yaml"), source="configmap.yaml sites.yaml")
    assert sites
    environment_values(config)  # raises SettingsError naming any unknown NEWSARCHIVE_* or bad value


def _interpolated(value: str) -> str:
    """A compose value with `${NAME:-default}` replaced by the default (what runs when nothing is set)."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: m[2] or "1", value)


def test_compose_file_names_real_images_and_valid_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"redis", "s3", "bucket", "crawler"} <= set(services)
    for name, service in services.items():
        image = _interpolated(service["image"])
        assert "localhost/" not in image and re.match(r"[\w.-]+\.[\w.-]+/", image), (
            f"{name}: a real deployment pulls a registry image, not {image}")
    crawler = services["crawler"]
    environment = {k: _interpolated(str(v)) for k, v in crawler["environment"].items() if not k.startswith("<<")}
    environment_values(environment)
    assert environment["REDIS_URL"].startswith("redis://") and environment["ARCHIVE_URI"].startswith("s3://")
    assert "replicas" in crawler["deploy"]


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (Debian: apt-get install systemd)")
    units = DEPLOY / "systemd"
    service = (units / "newsarchive-crawl.service").read_text(encoding="utf-8")
    # verify insists that ExecStart's program exists: point it at this environment's newsarchive.
    installed = Path(sys.executable).with_name("newsarchive")
    assert "/opt/newsarchive/bin/newsarchive" in service and installed.exists()
    (tmp_path / "newsarchive-crawl.service").write_text(
        service.replace("/opt/newsarchive/bin/newsarchive", str(installed)), encoding="utf-8")
    shutil.copy(units / "newsarchive-crawl.timer", tmp_path)
    result = subprocess.run([str(analyze), "verify", "--man=no", "newsarchive-crawl.service",
                             "newsarchive-crawl.timer"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    env = dict(line.split("=", 1) for line in (units / "env.example").read_text().splitlines()
               if line and not line.startswith("#"))
    environment_values(env)
