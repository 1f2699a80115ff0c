"""The demo: one task with the demo agent through the real sidecar, streamed in the terminal.

:mod:`.main` is the tour, :mod:`.client` the sidecar and its task feed, :mod:`.env` the
throwaway data folder and repository, :mod:`.out` the terminal output, :mod:`.code` the diff.
Run it with ``python -m taskyard.demo`` (or ``tools/demo``).
"""
