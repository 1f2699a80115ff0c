"""``python -m taskyard``: the ``taskyard`` command line."""

import sys

from taskyard.cli import main

sys.exit(main())
