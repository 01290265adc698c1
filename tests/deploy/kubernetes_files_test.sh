#!/bin/sh
# deploy/kubernetes/*.yaml: parsed with python3's yaml module (no cluster or kubectl needed), then
#   - the ConfigMap's surge.json passes `surged --check-config` (the surged of this build)
#   - the numbers that must agree between the files do: probe paths (/readyz, /healthz) and
#     ports, the metrics port in the annotations, terminationGracePeriodSeconds above
#     shutdown.drain_delay_ms + shutdown.timeout_ms, threads = the CPU limit, selectors that
#     match the pod's labels, the config volume where --config reads it, a non-root read-only pod
# Usage: kubernetes_files_test.sh <deploy dir> <surged>. Exits 77 without python3 or its yaml
# module (Debian: python3-yaml).
set -eu
. "$(dirname "$0")/common.sh"

deploy=${1:?usage: $0 <deploy dir> <surged>}
surged=${2:?usage: $0 <deploy dir> <surged>}
skip_without python3 "the manifests are parsed with python3's yaml module"
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "SKIP: python3 has no yaml module (apt-get install python3-yaml)"
  exit 77
fi

python3 - "$deploy/kubernetes" "$tmp/surge.json" <<'PY' || fail=1
import glob, json, os, sys
import yaml

directory, config_out = sys.argv[1], sys.argv[2]
failed = False

def expect(what, ok):
    global failed
    print(("ok: " if ok else "FAIL: ") + what)
    failed |= not ok

docs = {}
for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc is None:
                continue
            ok = all(k in doc for k in ("apiVersion", "kind", "metadata")) and "name" in doc["metadata"]
            expect(f"{os.path.basename(path)}: {doc.get('kind')} has apiVersion, kind, metadata.name", ok)
            docs[doc.get("kind")] = doc
for kind in ("ConfigMap", "Deployment", "Service", "PodDisruptionBudget"):
    expect(f"a {kind} is defined", kind in docs)
if failed:
    sys.exit(1)

config_text = docs["ConfigMap"]["data"]["surge.json"]
config = json.loads(config_text)
with open(config_out, "w") as f:
    f.write(config_text)

def port_of(address):
    return int(address.rsplit(":", 1)[1])

deployment = docs["Deployment"]
pod = deployment["spec"]["template"]
labels = pod["metadata"]["labels"]
spec = pod["spec"]
container = spec["containers"][0]
ports = {p["name"]: p["containerPort"] for p in container["ports"]}

def matches(selector):
    return all(labels.get(k) == v for k, v in selector.items())

expect("the Deployment's selector matches its pods", matches(deployment["spec"]["selector"]["matchLabels"]))
expect("the Service selects the pods", matches(docs["Service"]["spec"]["selector"]))
expect("the PodDisruptionBudget selects the pods", matches(docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]))
expect("the Service's targetPort is a container port", docs["Service"]["spec"]["ports"][0]["targetPort"] in ports)

listen = config.get("listen", ["0.0.0.0:8080"])
expect("container port http is the configured listen port", ports.get("http") == port_of(listen[0]))
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    get = container.get(probe, {}).get("httpGet", {})
    expect(f"{probe} gets {path} on port http", get.get("path") == path and get.get("port") == "http")
builtins = config.get("builtins", {})
expect("/readyz and /healthz are enabled", builtins.get("readyz", True) and builtins.get("healthz", True))

metrics = config.get("metrics", {})
metrics_port = port_of(metrics.get("listen", "127.0.0.1:9464"))
annotations = pod["metadata"].get("annotations", {})
expect("the exporter listens beyond loopback", not metrics.get("listen", "127.0.0.1:9464").startswith("127."))
expect("prometheus.io/scrape is \"true\"", annotations.get("prometheus.io/scrape") == "true")
expect(f"prometheus.io/port is the exporter's port {metrics_port}",
       annotations.get("prometheus.io/port") == str(metrics_port) == str(ports.get("metrics")))
expect("prometheus.io/path is metrics.path",
       annotations.get("prometheus.io/path") == metrics.get("path", "/metrics"))

shutdown = config.get("shutdown", {})
drain_ms = shutdown.get("drain_delay_ms", 0)
timeout_ms = shutdown.get("timeout_ms", 30000)
grace_s = spec.get("terminationGracePeriodSeconds", 30)
expect(f"terminationGracePeriodSeconds {grace_s} s > drain_delay {drain_ms} ms + timeout {timeout_ms} ms",
       grace_s * 1000 > drain_ms + timeout_ms)
readiness = container["readinessProbe"]
expect("drain_delay covers the readiness probe's detection time",
       drain_ms >= readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3) * 1000)

cpu = str(container.get("resources", {}).get("limits", {}).get("cpu", ""))
expect(f"threads {config.get('threads', 0)} = the CPU limit {cpu}",
       cpu.isdigit() and config.get("threads", 0) == int(cpu))

command = container.get("command", []) + container.get("args", [])
config_path = command[command.index("--config") + 1] if "--config" in command else ""
mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
volumes = {v["name"]: v for v in spec.get("volumes", [])}
mounted = [n for n, v in volumes.items()
           if v.get("configMap", {}).get("name") == docs["ConfigMap"]["metadata"]["name"]]
expect(f"--config {config_path} is surge.json in the mounted ConfigMap",
       len(mounted) == 1 and os.path.join(mounts.get(mounted[0], ""), "surge.json") == config_path)

security = container.get("securityContext", {})
pod_security = spec.get("securityContext", {})
expect("runs as non-root", pod_security.get("runAsNonRoot") or security.get("runAsNonRoot"))
expect("read-only root filesystem, no privilege escalation, no capabilities",
       security.get("readOnlyRootFilesystem") is True
       and security.get("allowPrivilegeEscalation") is False
       and security.get("capabilities", {}).get("drop") == ["ALL"])
sys.exit(1 if failed else 0)
PY

if [ -f "$tmp/surge.json" ]; then
  check "surged --check-config accepts the ConfigMap's surge.json" "$surged" --check-config --config "$tmp/surge.json"
fi

exit "$fail"
