#!/usr/bin/env python3
"""packaging/kubernetes/daemonset.yaml against what the image and the daemon actually do:
   check_kubernetes.py SOURCE_DIR BIN_DIR
- the ConfigMap's syncd.yaml passes `autonomy-syncd --check-config` (its secret paths stand in
  for files made here);
- the DaemonSet runs as the image's user, on the host network, mounts the config where the
  image's command reads it and the state where the config keeps it;
- liveness and readiness probe /healthz and /readyz on a loopback listener of that config;
- Prometheus scrapes /metrics over HTTPS on a listener of that config;
- the chart's Chart.yaml and values.yaml are valid YAML with the fields Helm needs, and its
  templates, rendered with Helm's engine and function library (tests/support/helm-render), give
  the same objects as daemonset.yaml; secret.create renders the Secret.
No cluster and no helm binary here (see README)."""
import base64
import os
import subprocess
import sys
import tempfile

import yaml

src, bin_dir = sys.argv[1], sys.argv[2]
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


docs = list(yaml.safe_load_all(open(os.path.join(src, "packaging/kubernetes/daemonset.yaml"))))
by_kind = {d["kind"]: d for d in docs}
check("daemonset.yaml holds a ConfigMap and a DaemonSet", set(by_kind) == {"ConfigMap", "DaemonSet"})
config_text = by_kind["ConfigMap"]["data"]["syncd.yaml"]
config = yaml.safe_load(config_text)

with tempfile.TemporaryDirectory() as tmp:
    secret = os.path.join(tmp, "secret")
    os.makedirs(secret)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=autonomy-syncd", "-days", "1", "-keyout", os.path.join(secret, "tls.key"),
                    "-out", os.path.join(secret, "tls.crt")], check=True, capture_output=True)
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    os.path.join(tmp, "cosign.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", os.path.join(tmp, "cosign.key"), "-pubout", "-out",
                    os.path.join(secret, "cosign.pub")], check=True, capture_output=True)
    with open(os.path.join(secret, "syncd.token"), "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    os.chmod(os.path.join(secret, "syncd.token"), 0o600)
    os.makedirs(os.path.join(tmp, "state"))
    rooted = (config_text.replace("/etc/autonomy/secret", secret)
              .replace("/var/lib/autonomy-syncd", os.path.join(tmp, "state")))
    with open(os.path.join(tmp, "syncd.yaml"), "w") as f:
        f.write(rooted)
    r = subprocess.run([os.path.join(bin_dir, "autonomy-syncd"), "--config", os.path.join(tmp, "syncd.yaml"),
                        "--check-config"], capture_output=True, text=True)
    check("the ConfigMap's syncd.yaml passes --check-config: " + (r.stdout + r.stderr).strip(), r.returncode == 0)

pod = by_kind["DaemonSet"]["spec"]["template"]
spec = pod["spec"]
container = spec["containers"][0]
check("host network (the node's registry on 127.0.0.1)", spec.get("hostNetwork") is True)
check("runs as the image's user 10001:10001",
      spec["securityContext"].get("runAsUser") == 10001 and spec["securityContext"].get("runAsGroup") == 10001)
check("the image's command reads /etc/autonomy/syncd.yaml",
      container.get("args") == ["--config", "/etc/autonomy/syncd.yaml"])
mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
volumes = {v["name"]: v for v in spec["volumes"]}
check("the config comes from the ConfigMap", mounts["/etc/autonomy/syncd.yaml"]["name"] == "config"
      and volumes["config"]["configMap"]["name"] == by_kind["ConfigMap"]["metadata"]["name"])
check("the token, keys and TLS files come from the Secret",
      volumes[mounts["/etc/autonomy/secret"]["name"]].get("secret", {}).get("secretName") == "autonomy-syncd")
state = mounts.get(config["state_dir"])
check("the state dir of the config is a hostPath", state is not None and "hostPath" in volumes[state["name"]])

listeners = []
for text in config["listen"]:
    host, port = text.rsplit(":", 1)
    listeners.append((host.strip("[]"), int(port)))
loopback = [p for h, p in listeners if h in ("127.0.0.1", "::1", "localhost")]
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    get = container[probe]["httpGet"]
    check(f"{probe} asks {path} on a loopback listener",
          get["path"] == path and get.get("host") == "127.0.0.1" and get["port"] in loopback
          and (get.get("scheme") == "HTTPS") == ("tls" in config["api"]))
notes = pod["metadata"]["annotations"]
other = [p for h, p in listeners if h not in ("127.0.0.1", "::1", "localhost")]
check("Prometheus scrapes /metrics over HTTPS on a listener of the config",
      notes.get("prometheus.io/scrape") == "true" and notes.get("prometheus.io/path") == "/metrics"
      and notes.get("prometheus.io/scheme") == "https" and int(notes["prometheus.io/port"]) in other
      and "tls" in config["api"])

chart = os.path.join(src, "packaging/kubernetes/chart/autonomy-syncd")
meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
check("Chart.yaml: apiVersion v2, name, version", meta.get("apiVersion") == "v2" and meta.get("name") ==
      "autonomy-syncd" and bool(meta.get("version")))
values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
check("values.yaml: the same listeners as daemonset.yaml", values["config"]["listen"] == config["listen"])
check("chart templates present", all(os.path.exists(os.path.join(chart, "templates", t))
                                     for t in ("daemonset.yaml", "configmap.yaml", "secret.yaml", "_helpers.tpl")))
# The chart, rendered by tests/support/helm-render (Go text/template with sprig v3, as Helm
# renders; Debian's Go packages), must give daemonset.yaml's objects apart from labels.
def build_renderer(tmp):
    gopath = os.path.join(tmp, "gopath")
    pkg = os.path.join(gopath, "src", "helmrender")
    os.makedirs(pkg)
    with open(os.path.join(src, "tests/support/helm-render/main.go")) as f_in, \
            open(os.path.join(pkg, "main.go"), "w") as f_out:
        f_out.write(f_in.read())
    # Debian installs these modules without their /v3 suffix; GOPATH mode needs it in the path.
    for name in ("sprig", "semver"):
        os.makedirs(os.path.join(gopath, "src/github.com/Masterminds", name))
        os.symlink("/usr/share/gocode/src/github.com/Masterminds/" + name,
                   os.path.join(gopath, "src/github.com/Masterminds", name, "v3"))
    env = dict(os.environ, GO111MODULE="off", GOPATH=gopath + ":/usr/share/gocode",
               GOCACHE=os.path.join(tmp, "gocache"), GOFLAGS="", GOPROXY="off")
    out = os.path.join(tmp, "helm-render")
    r = subprocess.run(["go", "build", "-o", out, "."], cwd=pkg, env=env, capture_output=True, text=True)
    check("helm-render builds (golang-go, golang-github-masterminds-sprig-dev): " + r.stderr.strip(),
          r.returncode == 0)
    return out if r.returncode == 0 else None


def normalised(obj):
    obj = yaml.safe_load(yaml.safe_dump(obj))
    obj["metadata"].pop("labels", None)
    obj["metadata"].pop("namespace", None)
    if obj["kind"] == "DaemonSet":
        obj["spec"].pop("selector", None)
        obj["spec"]["template"]["metadata"].pop("labels", None)
        obj["spec"]["template"]["metadata"]["annotations"].pop("checksum/config", None)
    if obj["kind"] == "ConfigMap":
        obj["data"] = {k: yaml.safe_load(v) for k, v in obj["data"].items()}
    return obj


with tempfile.TemporaryDirectory() as tmp:
    renderer = build_renderer(tmp)
    if renderer:
        r = subprocess.run([renderer, chart, "autonomy-syncd", "autonomy"], capture_output=True, text=True)
        check("the chart renders with its default values: " + r.stderr.strip(), r.returncode == 0)
        rendered = {d["kind"]: d for d in yaml.safe_load_all(r.stdout) if d}
        check("default values render a ConfigMap and a DaemonSet (no Secret: secret.create is false)",
              set(rendered) == {"ConfigMap", "DaemonSet"})
        for kind in ("ConfigMap", "DaemonSet"):
            if kind in rendered:
                same = normalised(rendered[kind]) == normalised(by_kind[kind])
                check(f"the chart's {kind} is daemonset.yaml's (labels aside)", same)
                if not same:
                    print(yaml.safe_dump(normalised(rendered[kind])), file=sys.stderr)
        extra = os.path.join(tmp, "secret-values.yaml")
        with open(extra, "w") as f:
            yaml.safe_dump({"secret": {"create": True, "token": "t0ken", "cosignPub": "PUB", "tlsCrt": "CRT",
                                       "tlsKey": "KEY"}}, f)
        r = subprocess.run([renderer, chart, "edge", "autonomy", extra], capture_output=True, text=True)
        docs = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
        secrets = [d for d in docs if d["kind"] == "Secret"]
        check("secret.create renders the Secret the DaemonSet mounts, base64 of the values",
              len(secrets) == 1 and base64.b64decode(secrets[0]["data"]["syncd.token"]) == b"t0ken"
              and secrets[0]["metadata"]["name"] == "autonomy-syncd")
        missing = os.path.join(tmp, "missing.yaml")
        with open(missing, "w") as f:
            yaml.safe_dump({"secret": {"create": True}}, f)
        r = subprocess.run([renderer, chart, "edge", "autonomy", missing], capture_output=True, text=True)
        check("secret.create without the token is refused (required)",
              r.returncode != 0 and "secret.token" in r.stderr)

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
