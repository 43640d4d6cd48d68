"""Refresh the vendored front-end libraries from the npm registry.

The guide must work with the network off, so D3 and KaTeX are committed under
glasslm/web/static/vendor/<name>/, each with its licence. This script is how
they got there: it downloads each pinned tarball, checks its published
integrity hash, and copies only the files the guide loads.

    python scripts/vendor.py
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "glasslm" / "web" / "static" / "vendor"

# name, version, npm integrity, files to copy (paths inside the tarball's package/ folder)
PACKAGES = [
    (
        "d3",
        "7.9.2",
        "sha512-ZKb/mONPVKzaO5UlcWcwN8bS4ezvQaYu+bsou+XgNABdGC800kwH651ADTbbTxMPHW13UlvbQafdmJQDk1w7Mg==",
        ["dist/d3.min.js", "LICENSE"],
    ),
    (
        "katex",
        "0.19.1",
        "sha512-jG8uKntjSEcm2EpQOh0XturpPuuC9r3Sq5HLHdsFdWZT27E672SF19QEi+of0/YeOy15lDgRhKvr5614uRrEfA==",
        ["dist/katex.min.js", "dist/katex.min.css", "dist/fonts/", "LICENSE"],
    ),
]


def fetch(name: str, version: str) -> bytes:
    url = f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def check(data: bytes, integrity: str | None, name: str) -> None:
    if integrity is None:
        return
    algo, want = integrity.split("-", 1)
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise SystemExit(f"{name}: integrity mismatch (got {algo}-{got})")


def main() -> None:
    for name, version, integrity, wanted in PACKAGES:
        data = fetch(name, version)
        check(data, integrity, name)
        dest = VENDOR / name
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                rel = member.name.removeprefix("package/")
                if not member.isfile() or not any(rel == w or (w.endswith("/") and rel.startswith(w)) for w in wanted):
                    continue
                if rel.endswith((".ttf", ".woff")):  # every current browser takes woff2
                    continue
                # dist/ prefixes are dropped: vendor/katex/katex.min.js, vendor/katex/fonts/...
                out = dest / rel.removeprefix("dist/")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(member).read())
        (dest / "VERSION").write_text(f"{name}@{version}\n")
        print(f"vendored {name}@{version} -> {dest.relative_to(VENDOR.parent.parent.parent.parent)}")


if __name__ == "__main__":
    main()
