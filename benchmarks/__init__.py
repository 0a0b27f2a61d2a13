"""Benchmarks of Tier0 on public data; run them all with ``python -m benchmarks`` (see ``__main__``)."""
