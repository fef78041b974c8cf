"""Boundary sets: the embedded layers, user sets, worldviews and dated control layers."""

from geoverify.boundaries.load import load_boundaries
from geoverify.boundaries.model import BoundarySet, data_dir, examples_dir
from geoverify.boundaries.registry import load_layer

__all__ = ["BoundarySet", "data_dir", "examples_dir", "load_boundaries", "load_layer"]
