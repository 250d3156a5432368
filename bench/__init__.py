"""Benchmarks of shelter-ops against the real server: `make bench` (or `python -m bench --smoke`)."""

BENCHMARKS_DOC = "Benchmarks against the real server on 127.0.0.1; see docs/PERFORMANCE.md."
