"""On-demand benchmarks (run each as ``.venv/bin/python bench/NAME.py``)."""
