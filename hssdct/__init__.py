"""HSSDCT, the suite's reference model (C.-M. Lee et al., ICASSP 2026, arXiv 2602.00490).

- :mod:`hssdct.model`: the network (:class:`HSSDCT`, :class:`HSSDCTConfig`).
- :mod:`hssdct.official`: the authors' checkpoints (:func:`from_official`, :func:`to_official`).
- :mod:`hssdct.losses`: the released training loss (:func:`hssdct_loss`).
"""

from hssdct.losses import hssdct_loss
from hssdct.model import HSSDCT, HSSDCTConfig
from hssdct.official import from_official, to_official

__all__ = ["HSSDCT", "HSSDCTConfig", "from_official", "hssdct_loss", "to_official"]
