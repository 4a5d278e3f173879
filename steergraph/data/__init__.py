"""Loaders and builders of offline datasets and of the datasets graphs emit."""
