#!/usr/bin/env python3
"""Container image tars for tests/cli/db/container-images.sh (python3 stdlib only).

  _images.py make DIR          writes DIR/app.tar and DIR/worker.tar, `docker save` output as
                               Docker 25+ writes it (OCI layout: oci-layout, index.json,
                               blobs/sha256/<digest>, plus manifest.json and repositories):
                               both images share a 6 MiB base layer, each has its own 1 MiB
                               layer; prints "<layer sizes>" for the case to check dedup with
  _images.py entries TAR       one line per entry: name type mode uid gid size mtime sha256
"""
import hashlib
import io
import json
import random
import sys
import tarfile


def layer(seed, files):
    """An uncompressed layer tar holding `files` [(path, size)] of pseudo-random bytes."""
    rng = random.Random(seed)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = sorted({p.rsplit("/", 1)[0] for p, _ in files if "/" in p})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            t.addfile(info)
        for path, size in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = size, 0o644 if not path.endswith(".sh") else 0o755, 1700000000
            t.addfile(info, io.BytesIO(rng.randbytes(size)))
    return buf.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def image(path, tag, layers):
    blobs, diff_ids = {}, []
    for l in layers:
        blobs[sha(l)] = l
        diff_ids.append("sha256:" + sha(l))
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/app/run.sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}, sort_keys=True).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": d, "size": len(l)} for d, l in zip(diff_ids, layers)]},
                          sort_keys=True).encode()
    blobs[sha(manifest)] = manifest
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest),
         "size": len(manifest), "annotations": {"io.containerd.image.name": tag}}]}).encode()
    docker_manifest = json.dumps([{"Config": "blobs/sha256/" + sha(config), "RepoTags": [tag],
                                   "Layers": ["blobs/sha256/" + d[7:] for d in diff_ids]}]).encode()
    name, version = tag.rsplit(":", 1)
    repositories = json.dumps({name: {version: diff_ids[-1][7:]}}).encode()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data=None, mode=0o644, kind=tarfile.REGTYPE):
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.type = mode, 1700000000, kind
            if data is not None:
                info.size = len(data)
            t.addfile(info, io.BytesIO(data) if data is not None else None)
        add("blobs", mode=0o755, kind=tarfile.DIRTYPE)
        add("blobs/sha256", mode=0o755, kind=tarfile.DIRTYPE)
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest, data)
        add("index.json", index)
        add("manifest.json", docker_manifest)
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("repositories", repositories)


def make(d):
    base = layer(1, [("usr/lib/libbase.so", 4 << 20), ("usr/share/base.dat", 2 << 20), ("etc/os-release", 200)])
    app = layer(2, [("app/run.sh", 300), ("app/app.bin", 1 << 20)])
    worker = layer(3, [("app/run.sh", 280), ("app/worker.bin", 1 << 20)])
    image(d + "/app.tar", "app:1", [base, app])
    image(d + "/worker.tar", "worker:1", [base, worker])
    print("base %d app %d worker %d" % (len(base), len(app), len(worker)))


def entries(path):
    with tarfile.open(path) as t:
        for m in t:
            digest = sha(t.extractfile(m).read()) if m.isfile() else "-"
            print(m.name, m.type.decode(), "%o" % m.mode, m.uid, m.gid, m.size, int(m.mtime), digest)


if __name__ == "__main__":
    {"make": make, "entries": entries}[sys.argv[1]](sys.argv[2])
