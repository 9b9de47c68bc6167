"""Registry of fusion methods: ``methods.list()``, ``methods.get(name)``, ``methods.build(name, ...)``.

Each method lives in one file of this package and registers itself with ``@register``.
"""

from methods.registry import (
    MethodSpec,
    Published,
    TrainingRecipe,
    build,
    get,
    list_methods,
    register,
)

list = list_methods  # noqa: A001  (timm-style name: methods.list("hss*"))

__all__ = ["MethodSpec", "Published", "TrainingRecipe", "build", "get", "list", "list_methods", "register"]
