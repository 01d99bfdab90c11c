"""Reservoir: discovers, analyses and ROI-scores automation opportunities."""

__version__ = "0.1.0"
