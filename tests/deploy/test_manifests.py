"""deploy/: the Kubernetes manifests hang together and match the gateway they run."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.settings import Settings

DEPLOY = Path(__file__).parent.parent.parent / "deploy"
DOCKERFILE = Path(__file__).parent.parent.parent / "Dockerfile"


def manifests() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert "kind" in document, path
            found[document["kind"]] = document
    return found


@pytest.fixture(scope="module")
def kinds() -> dict[str, dict[str, Any]]:
    return manifests()


def container(kinds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = kinds["Deployment"]["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = only
    return found


def test_every_kind_is_there_and_listed(kinds: dict[str, dict[str, Any]]) -> None:
    assert set(kinds) == {
        "Kustomization",
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    listed = set(kinds["Kustomization"]["resources"])
    assert listed == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    for document in kinds.values():
        assert document["apiVersion"]


def test_probes_point_at_the_health_endpoints(kinds: dict[str, dict[str, Any]]) -> None:
    gateway = container(kinds)
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = gateway["ports"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert gateway[probe]["httpGet"]["port"] == port["name"]
    assert str(port["containerPort"]) == kinds["ConfigMap"]["data"]["PORT"]


def test_resources_and_security(kinds: dict[str, dict[str, Any]]) -> None:
    gateway = container(kinds)
    assert gateway["resources"]["requests"]["cpu"]
    assert gateway["resources"]["requests"]["memory"]
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    uid = re.search(r"--uid (\d+)", DOCKERFILE.read_text())
    assert uid is not None
    assert pod["securityContext"]["runAsUser"] == int(uid.group(1))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert gateway["securityContext"]["readOnlyRootFilesystem"] is True
    # A read-only root needs a writable /tmp for the metrics of several workers.
    metrics_dir = kinds["ConfigMap"]["data"]["PROMETHEUS_MULTIPROC_DIR"]
    mounts = {m["mountPath"] for m in gateway["volumeMounts"]}
    assert any(metrics_dir.startswith(mount) for mount in mounts)


def test_settings_come_from_the_configmap_and_secret(kinds: dict[str, dict[str, Any]]) -> None:
    sources = container(kinds)["envFrom"]
    assert {s.get("configMapRef", {}).get("name") for s in sources} >= {
        kinds["ConfigMap"]["metadata"]["name"]
    }
    assert {s.get("secretRef", {}).get("name") for s in sources} >= {
        kinds["Secret"]["metadata"]["name"]
    }
    environment = {**kinds["ConfigMap"]["data"], **kinds["Secret"]["stringData"]}
    settings = Settings.from_env(environment)
    assert settings.is_production
    grace = kinds["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # The preStop pause, then the drain and the grace.
    assert grace > 5 + settings.shutdown_drain_s + settings.shutdown_grace_s


def test_the_quota_is_the_fleets_and_its_fail_safe_share_holds_at_the_most_replicas(
    kinds: dict[str, dict[str, Any]],
) -> None:
    data = kinds["ConfigMap"]["data"]
    settings = Settings.from_env({**data, **kinds["Secret"]["stringData"]})
    assert settings.upstream_rate_limit_per_min == 1000  # the vendor's, for the whole fleet
    most = kinds["HorizontalPodAutoscaler"]["spec"]["maxReplicas"] * settings.workers
    # While Redis is away, every process of the largest fleet keeps to its share.
    assert settings.upstream_rate_per_worker * 60 * most <= 1000


def test_the_fleet_shares_a_redis_whose_url_and_key_are_secrets(
    kinds: dict[str, dict[str, Any]],
) -> None:
    secret, config = kinds["Secret"]["stringData"], kinds["ConfigMap"]["data"]
    assert {"REDIS_URL", "CACHE_KEY_SECRET"} <= set(secret)
    assert not {"REDIS_URL", "CACHE_KEY_SECRET"} & set(config)
    settings = Settings.from_env({**config, **secret})
    assert settings.redis_url is not None
    assert settings.redis_url.startswith("rediss://")  # TLS to a managed Redis


def test_the_test_clusters_redis_is_a_single_redis_7_its_service_named_in_the_note() -> None:
    folder = DEPLOY / "redis"
    documents = {d["kind"]: d for d in yaml.safe_load_all((folder / "redis.yaml").read_text())}
    assert yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"] == [
        "redis.yaml"
    ]
    deployment, service = documents["Deployment"], documents["Service"]
    assert deployment["spec"]["replicas"] == 1
    (redis,) = deployment["spec"]["template"]["spec"]["containers"]
    assert redis["image"].startswith("redis:7")
    assert "volatile-lru" in redis["args"]  # every key the gateway writes has a TTL
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    url = f"redis://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/0"
    assert url in (DEPLOY / "secret.yaml").read_text()


def test_budget_autoscaler_and_service_select_the_deployment(
    kinds: dict[str, dict[str, Any]],
) -> None:
    deployment = kinds["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert kinds["Service"]["spec"]["selector"].items() <= labels.items()
    target = kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    hpa = kinds["HorizontalPodAutoscaler"]["spec"]
    assert hpa["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["maxReplicas"]
    assert kinds["PodDisruptionBudget"]["spec"]["maxUnavailable"] < hpa["minReplicas"]


def test_the_container_image_runs_production_with_workers_and_a_healthcheck() -> None:
    dockerfile = DOCKERFILE.read_text()
    assert "GATEWAY_ENV=production" in dockerfile
    assert "WEB_CONCURRENCY=" in dockerfile
    assert re.search(r"^USER gateway$", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
