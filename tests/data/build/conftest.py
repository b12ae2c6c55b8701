"""The toy notebooks here are inputs for tests/test_build.py, not tests (keep nbval off them)."""

collect_ignore_glob = ["*.ipynb"]
