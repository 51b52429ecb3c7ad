"""Dispatch decisions for non-emergency medical transport, and the ``dispatch`` command line."""
