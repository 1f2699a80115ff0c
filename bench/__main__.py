"""``python -m bench [--quick]``: run every benchmark and print the figures."""

from __future__ import annotations

import sys

from bench import bridge_bench


def main() -> None:
    quick = "--quick" in sys.argv
    bridge_bench.main(idle_seconds=10.0 if quick else 60.0)


if __name__ == "__main__":
    main()
