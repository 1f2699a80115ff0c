"""Packaging: the wheel and the sdist carry what the installed package needs."""
