"""Benchmarks, run by ``nox -s bench``: they print measured figures next to their targets."""
