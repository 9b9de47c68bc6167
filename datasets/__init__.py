"""Scenes for the suite: the paper's on-disk layout, a degradation simulator, and shipped data."""

from datasets.scene import Scene, SceneMeta

__all__ = ["Scene", "SceneMeta"]
