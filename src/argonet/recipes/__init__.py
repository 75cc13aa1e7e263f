"""Recipes and studies: multi-step workflows built from the library (transfer, sim-to-real, reports, scans)."""
