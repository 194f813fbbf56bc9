#!/usr/bin/env python3
"""B's commit rate, measured with a plain parallel uploader (no product code): pushes REPOS small
images to a registry with WORKERS keep-alive connections, each image the writes a first sync must
make at B at least: mount the shared base blob (pushed once first), upload one unique layer and a
config (POST + PUT ?digest each) and PUT the manifest. Prints key=value lines for bench/run.sh.

Usage: commit-rate.py PORT REPOS WORKERS UNIQUE_KIB BASE_MIB   (stdlib only)
"""
import hashlib
import http.client
import json
import os
import sys
import threading
import time

port, repos, workers, unique_kib, base_mib = (int(a) for a in sys.argv[1:6])
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Client:
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.requests = 0

    def call(self, method, target, body=None, headers=None, ok=(200, 201, 202)):
        self.conn.request(method, target, body=body, headers=headers or {})
        r = self.conn.getresponse()
        r.read()
        self.requests += 1
        if r.status not in ok:
            raise RuntimeError(f"{method} {target} -> {r.status}")
        return r

    def upload(self, repo, blob):
        d = digest(blob)
        r = self.call("POST", f"/v2/{repo}/blobs/uploads/")
        loc = r.getheader("Location")
        loc = loc[loc.index("/v2/"):] if "://" in loc else loc
        sep = "&" if "?" in loc else "?"
        self.call("PUT", f"{loc}{sep}digest={d}", body=blob,
                  headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(blob))})
        return d

    def mount(self, repo, d, src):
        self.call("POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={src}", ok=(201,))


base = os.urandom(base_mib * 1024 * 1024)
seed = Client()
base_d = seed.upload("commit/base", base)

# Every image's bytes are made before the clock starts: only the registry's work is timed.
images = []
for i in range(repos):
    layer = os.urandom(unique_kib * 1024)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "n": i}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": base_d, "size": len(base)},
                   {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(layer),
                    "size": len(layer)}]}).encode()
    images.append((f"commit/app-{i}", layer, config, manifest))

errors = []
clients = []
lock = threading.Lock()
queue = list(range(repos))


def work():
    c = Client()
    with lock:
        clients.append(c)
    while True:
        with lock:
            if not queue:
                return
            i = queue.pop()
        repo, layer, config, manifest = images[i]
        try:
            c.mount(repo, base_d, "commit/base")
            c.upload(repo, layer)
            c.upload(repo, config)
            c.call("PUT", f"/v2/{repo}/manifests/v1", body=manifest, headers={"Content-Type": OCI_MANIFEST})
        except Exception as e:  # noqa: BLE001 - reported, the run fails
            errors.append(f"{repo}: {e}")
            return


t0 = time.monotonic()
threads = [threading.Thread(target=work) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t0
if errors:
    print("commit-rate: " + "; ".join(errors[:3]), file=sys.stderr)
    sys.exit(1)
n = sum(c.requests for c in clients)
print(f"commit_rate_repos={repos}")
print(f"commit_rate_workers={workers}")
print(f"commit_rate_wall_s={wall:.3f}")
print(f"commit_rate_requests={n}")
print(f"commit_rate_repos_per_s={repos / wall:.1f}")
