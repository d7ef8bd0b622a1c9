"""minigrad's benchmarks against PyTorch (run with ``python -m benchmarks``)."""
