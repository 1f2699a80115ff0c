"""The Docker provider and its pieces: one hardened container per task.

:mod:`.provider` drives the workspace state machine; :mod:`.engine` (SDK calls off the event
loop, errors), :mod:`.images` (pull or build), :mod:`.container` (the container's anatomy),
:mod:`.bundle` (the bridge volume), :mod:`.seed` (the repository in), :mod:`.archive` (the work
out) and :mod:`.reconcile` (labels, orphans) are its parts.
"""
