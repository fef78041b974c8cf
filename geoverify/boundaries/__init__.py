"""Boundary layers: the embedded set, its provenance and accuracy."""

from geoverify.boundaries.registry import BoundarySet, data_dir, load_boundaries, load_layer

__all__ = ["BoundarySet", "data_dir", "load_boundaries", "load_layer"]
