"""Recommendation models, offline evaluation and training."""
