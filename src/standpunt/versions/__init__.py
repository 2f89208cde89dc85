"""Versions from git: the one git runner, a position's history, the redline of two texts."""
