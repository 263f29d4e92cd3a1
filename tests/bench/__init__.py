"""Benchmarks (`make bench`): ratios measured in one run, never absolute timings in tests."""
