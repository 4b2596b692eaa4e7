"""A stand-in for the district server, for tests and benchmarks: the sync contract, faults on demand."""
