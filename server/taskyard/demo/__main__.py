"""``python -m taskyard.demo``: the demo."""

import sys

from taskyard.demo.main import main

sys.exit(main())
