"""Packs the bridge and its pure-Python dependencies into one self-contained ``bridge.pyz``.

Workspaces run the bridge on their own ``python3`` with nothing pip-installed, so the sidecar
copies this single file in. It is built from the modules already installed next to the sidecar
(no network needed), with fixed timestamps so the same sources always give the same bytes: the
file name carries the content hash, and providers can cache by it.

``python -m taskyard.bridge.zipapp OUT`` builds it by hand; :func:`ensure_zipapp` builds it
at run time into a cache folder when missing.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import sys
import zipfile
from collections.abc import Iterator

BUNDLED = ("pyte", "wcwidth", "ptyprocess", "h11")
MIN_PYTHON = (3, 9)

MAIN = """import sys
if sys.version_info < {min_python!r}:
    sys.stderr.write("taskyard-bridge needs Python {min_text} or newer; this is Python %d.%d\\n"
                     % sys.version_info[:2])
    sys.exit(3)
if sys.argv[1:2] == ["demo-agent"]:  # the agent itself: none of the server's imports
    from taskyard.bridge.demo_agent import main as demo_main
    sys.exit(demo_main(sys.argv[2:]))
from taskyard.bridge.cli import main
sys.exit(main(self_argv=[sys.executable, sys.argv[0]]))
"""

_EPOCH = (2020, 1, 1, 0, 0, 0)


def _package_files(module_name: str) -> Iterator[tuple[str, str]]:
    """(absolute path, archive name) for every source file of an importable module or package."""
    module = importlib.import_module(module_name)
    origin = os.path.abspath(module.__file__ or "")
    if os.path.basename(origin) != "__init__.py":
        yield origin, os.path.basename(origin)
        return
    root = os.path.dirname(origin)
    base = root
    for _ in module_name.split("."):
        base = os.path.dirname(base)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".typed")) or name.endswith(".json"):
                path = os.path.join(folder, name)
                yield path, os.path.relpath(path, base).replace(os.sep, "/")


def _sources() -> list[tuple[str, bytes]]:
    here = os.path.dirname(os.path.abspath(__file__))
    pkg_init = os.path.join(os.path.dirname(here), "__init__.py")
    entries: list[tuple[str, bytes]] = []
    with open(pkg_init, "rb") as fh:
        entries.append(("taskyard/__init__.py", fh.read()))
    for path, arcname in _package_files("taskyard.bridge"):
        with open(path, "rb") as fh:
            entries.append((arcname, fh.read()))
    for name in BUNDLED:
        for path, arcname in _package_files(name):
            with open(path, "rb") as fh:
                entries.append((arcname, fh.read()))
    main = MAIN.format(min_python=MIN_PYTHON, min_text=".".join(map(str, MIN_PYTHON)))
    entries.append(("__main__.py", main.encode()))
    return sorted(entries)


def build_bytes() -> bytes:
    """The zipapp's bytes (a shebang line, then a deterministic zip)."""
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, data in _sources():
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def build(path: str) -> str:
    """Write the zipapp to ``path`` (atomically, executable); returns the path."""
    data = build_bytes()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path


def ensure_zipapp(cache_dir: str) -> str:
    """The path of an up-to-date ``bridge-<hash>.pyz`` in ``cache_dir``, built when missing."""
    data = build_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = os.path.join(cache_dir, f"bridge-{digest}.pyz")
    if not os.path.exists(path):
        build(path)
    return path


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "dist/bridge.pyz"
    print(build(out))
