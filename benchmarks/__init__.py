"""Benchmarks of Stratigos against peer libraries, run in one process (`make bench`)."""
