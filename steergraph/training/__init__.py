"""Trainers: TRL subclasses and recipes, one module per method (added by method issues)."""
