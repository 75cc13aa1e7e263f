"""Figures: event displays and metric plots (arrays and results in, matplotlib figures out)."""
