"""Benchmarks: ``python -m bench`` (``make bench``) runs every ``bench_*.py`` module here.

Each module exposes ``main(argv: list[str]) -> None`` and prints its own side-by-side table
(iodkit next to highdicom and the practical limit) from one run on this machine. Results are
also written as JSON under ``bench/results/`` (git-ignored).
"""
