"""Diagrams of pipelines: the Diagram algebra (graph.py) and its drawings (render.py)."""

from .graph import Diagram

__all__ = ["Diagram"]
