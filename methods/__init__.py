"""Registry of fusion methods: ``methods.list_methods()``, ``methods.get(name)``, ``methods.build(...)``.

Each method lives in one file of this package and registers its adapter with ``@register``.
"""

from methods.adapter import MethodSpec, Published, TrainingRecipe, WeightFormat
from methods.registry import build, get, list_methods, register, registered

__all__ = ["MethodSpec", "Published", "TrainingRecipe", "WeightFormat", "build", "get",
           "list_methods", "register", "registered"]
