"""Workspace providers (where a task's agent runs) and the client of the bridge inside each one."""
