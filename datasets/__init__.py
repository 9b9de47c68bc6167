"""Scenes for the suite: the paper's on-disk layout, a degradation simulator, and shipped data.

    import datasets
    datasets.list_datasets()                              # ['indian_pines', 'paper', 'synthetic']
    scenes = datasets.get("indian_pines", split="test")  # a lazy sequence of Scenes
    scenes = datasets.get("paper", root="DATA", list="DATA/test.txt", msi_bands=6)
"""

from datasets.errors import DataError
from datasets.normalise import minmax_normalise, to_original
from datasets.registry import SceneList, get, list_datasets, register_dataset, registered_dataset
from datasets.scene import Scene, SceneMeta

__all__ = [
    "DataError", "Scene", "SceneList", "SceneMeta", "get", "list_datasets",
    "minmax_normalise", "register_dataset", "registered_dataset", "to_original",
]
