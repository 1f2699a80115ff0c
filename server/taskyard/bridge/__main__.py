"""``python -m taskyard.bridge``: the bridge's command line."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["demo-agent"]:  # the agent itself: none of the server's imports
        from .demo_agent import main as demo_main

        sys.exit(demo_main(sys.argv[2:]))
    from .cli import main

    sys.exit(main())
