"""minigrad's benchmarks against PyTorch (run with ``python -m benchmarks``).

minigrad is imported before numpy, as the ``minigrad`` command does, so that OpenBLAS's idle
worker threads sleep at once (see ``minigrad/_openblas.py``) in the measured process too.
"""
import minigrad  # noqa: F401
