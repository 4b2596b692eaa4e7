"""Benchmarks printed as JSON by ``edge bench …``; speed targets live here, not in unit tests."""
