"""Benchmarks: `python -m bench.<name>`; each prints its figures and a final `key=value` line."""
