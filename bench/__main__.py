"""``python -m bench [--quick] [bridge|sidecar|docker ...]``: run benchmarks, print the figures."""

from __future__ import annotations

import sys

from bench import bridge_bench, sidecar_bench


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    quick = "--quick" in sys.argv
    wanted = set(args) or {"bridge", "sidecar", "docker"}
    if "bridge" in wanted:
        bridge_bench.main(idle_seconds=10.0 if quick else 60.0)
    if "sidecar" in wanted:
        sidecar_bench.main(quick=quick)
    if "docker" in wanted:
        try:
            from bench import docker_bench
        except ImportError:
            print("Docker benchmarks: not available")
            return
        docker_bench.main(quick=quick)


if __name__ == "__main__":
    main()
