"""Generates the code and docs that mirror ``schemas/``; ``--check`` reports stale outputs.

Run from anywhere with the project's interpreter::

    .venv/bin/python schemas/codegen/generate.py          # write what changed
    .venv/bin/python schemas/codegen/generate.py --check  # exit 1 and list stale files

Outputs (all committed): the Python wire types and tables, the schemas as a Python module (so
the installed package ships no data files), the TypeScript types and method tables, and
``schemas/README.md``. Python output goes through ``ruff format`` with the repository's
settings, so it is byte-for-byte stable and ``--check`` never flaps.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import emit_markdown
import emit_python
import emit_typescript
from model import SchemaError, load

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
PY_TYPES = ROOT / "server/taskyard/protocol/_generated.py"
PY_SCHEMAS = ROOT / "server/taskyard/protocol/_schemas.py"
TS_TYPES = ROOT / "vscode-client/src/protocol/generated.ts"
README = SCHEMAS / "README.md"


def render_all() -> dict[Path, str]:
    """Every output file's expected content, by path."""
    model = load(SCHEMAS)
    return {
        PY_TYPES: ruff_format(emit_python.render_types(model), PY_TYPES),
        PY_SCHEMAS: ruff_format(emit_python.render_schemas(model), PY_SCHEMAS),
        TS_TYPES: emit_typescript.render(model),
        README: emit_markdown.render(model),
    }


def ruff_format(source: str, path: Path) -> str:
    """Format like ``ruff format`` would format ``path`` in place (same config discovery)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ruff format failed on generated {path.name}:\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only report stale outputs")
    args = parser.parse_args(argv)
    try:
        outputs = render_all()
    except SchemaError as exc:
        print(f"schemas/: {exc}", file=sys.stderr)
        return 2
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    for path in stale:
        rel = path.relative_to(ROOT)
        if args.check:
            print(f"stale: {rel}", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(outputs[path], encoding="utf-8")
            print(f"wrote {rel}")
    if args.check and stale:
        print("run: .venv/bin/python schemas/codegen/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
