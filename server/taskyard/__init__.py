"""Taskyard: run coding agents as background tasks from the editor.

The package holds two programs: the sidecar (``taskyard serve``), which the editor starts over
stdio and which owns templates, tasks and workspaces, and the agent bridge
(``taskyard.bridge``), which runs inside each workspace and supervises one agent.
"""

__version__ = "0.1.0"
