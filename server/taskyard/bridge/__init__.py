"""The agent bridge: supervises one coding agent in a PTY and serves the AgentAPI protocol.

It runs inside each workspace (a container or a local folder) on the workspace's own ``python3``
(3.9 or newer), so every module in this package sticks to the standard library plus the
pure-Python packages bundled into ``bridge.pyz`` (pyte, wcwidth, ptyprocess, h11).
"""
