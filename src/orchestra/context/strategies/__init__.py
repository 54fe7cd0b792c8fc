"""Reduction strategies: each takes lines and a line budget and returns reduced lines (or None)."""
