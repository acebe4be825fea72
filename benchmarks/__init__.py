"""jobq side by side with rq, in one run: ``python benchmarks/run.py`` (``make bench``).

Not part of the test suite and not installed with the package.
"""
