"""Benchmarks: `make bench` (python -m bench) times a year of documents end to end."""
