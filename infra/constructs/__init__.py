"""Reusable constructs: narrow, typed inputs; no configuration objects."""
