"""Benchmarks of the integration (scripts/bench)."""
