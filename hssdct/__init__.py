"""HSSDCT, the suite's reference model (C.-M. Lee et al., ICASSP 2026, arXiv 2602.00490).

- :mod:`hssdct.model`: the network (:class:`HSSDCT`, :class:`HSSDCTConfig`).
- :mod:`hssdct.official`: the authors' checkpoints (:func:`from_official`, :func:`to_official`).
- :mod:`hssdct.losses`: the released training loss (:func:`hssdct_loss`).
- :mod:`hssdct.inference`: one forward in fp32 or bf16 autocast (:func:`fuse`).
- :mod:`hssdct.speed`: speed relative to one 3x3 conv, bf16 deviation, peak memory
  (``python -m hssdct.speed``).
"""

from hssdct.losses import hssdct_loss
from hssdct.model import HSSDCT, HSSDCTConfig
from hssdct.official import from_official, to_official

__all__ = ["HSSDCT", "HSSDCTConfig", "from_official", "hssdct_loss", "to_official"]
