"""The sidecar's core logic: tasks, templates, workspaces, agents, secrets, names and log export.

Services never import pygls; their collaborators (HTTP clients, clocks, the keyring) come in
through their constructors, so unit tests need no server.
"""
