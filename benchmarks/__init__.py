"""Benchmarks and measurement scripts; each writes a committed output under docs/results/."""
