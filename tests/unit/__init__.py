"""Unit tests of the sidecar's services: tables, no subprocesses, no network."""
