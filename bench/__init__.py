"""Benchmarks of coolsms-oauth-django against bare ``requests`` and the common OAuth clients.

Run them all with ``python -m bench`` (``make bench``), or one with
``python -m bench.bench_<name>``; ``--quick`` runs a tiny size that only checks correctness.
"""
