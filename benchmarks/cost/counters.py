"""Three FLOP counters, each with the list of what it left uncounted.

- ``count_fvcore``: fvcore's JIT-trace count. One MAC counts 1. We add handles for
  ``scaled_dot_product_attention`` and ``baddbmm`` (fvcore has ``einsum``, ``matmul`` and ``bmm``).
- ``count_flop_counter``: ``torch.utils.flop_counter.FlopCounterMode`` (aten dispatch). One MAC
  counts 2 FLOPs; ``Count.macs`` is FLOPs / 2.
- ``count_hooks``: forward hooks on standard layers, the way ptflops (and so the papers' tables)
  counts: conv/linear weight MACs plus bias, and element counts of norms, activations, pooling and
  upsampling. Matrix products written with ``@``/``matmul``/attention inside a module are invisible
  to hooks; an aten recorder measures them and lists them as uncounted, with their MACs.

A module may declare a cost that no counter sees (e.g. a selective-scan recurrence written as
elementwise ops) with a method ``analytic_macs(inputs: tuple, output) -> int``; the hook pass
reports those under ``Count.analytic``, separately from every total.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry, sdpa_flop_count

_aten = torch.ops.aten


def _cpu_sdpa_flop(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    """FLOPs of the CPU attention kernel, which torch's own registry does not know."""
    return sdpa_flop_count(query_shape, key_shape, value_shape)


# Handlers added to FlopCounterMode so that attention on the CPU is not silently zero.
_EXTRA_FLOP_FORMULAS = {_aten._scaled_dot_product_flash_attention_for_cpu: _cpu_sdpa_flop}

# Ops whose cost is a matrix product (what a MAC count is about).
_PRODUCT_OPS = {
    _aten.mm, _aten.bmm, _aten.addmm, _aten.baddbmm, _aten.convolution,
    _aten._scaled_dot_product_efficient_attention, _aten._scaled_dot_product_flash_attention,
    _aten._scaled_dot_product_cudnn_attention, _aten._scaled_dot_product_flash_attention_for_cpu,
}
_FORMULAS = {**flop_registry, **{
    k: torch.utils.flop_counter.shape_wrapper(v) for k, v in _EXTRA_FLOP_FORMULAS.items()
}}
# Ops that move or view data without arithmetic; never listed as uncounted.
_FREE_OPS = {
    "view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "clone", "contiguous",
    "copy_", "_to_copy", "cat", "stack", "split", "split_with_sizes", "chunk", "unbind", "slice",
    "select", "index", "squeeze", "unsqueeze", "flatten", "unflatten", "detach", "alias", "empty",
    "empty_like", "zeros", "zeros_like", "ones", "ones_like", "full", "fill_", "zero_", "arange",
    "as_strided", "new_empty", "new_zeros", "lift_fresh", "pad", "constant_pad_nd",
    "reflection_pad2d", "roll", "flip", "narrow", "_reshape_alias", "diagonal", "repeat",
    "index_select", "gather", "pixel_shuffle", "pixel_unshuffle", "col2im", "im2col", "scalar_tensor",
    "new_empty_strided", "empty_strided", "_local_scalar_dense", "lt", "gt", "eq", "ge", "le", "ne",
    "masked_fill", "where", "max_pool2d_with_indices", "upsample_nearest2d", "t_", "set_",
}


@dataclass
class Count:
    """One counter's result.

    macs: multiply-accumulates counted (for flop_counter, its FLOPs / 2).
    reported: the number in the tool's own unit (fvcore and hooks: MACs; flop_counter: FLOPs).
    by_op: MACs per op (fvcore, flop_counter) or per standard layer type (hooks; a subclass
    of ``nn.Linear`` counts as Linear).
    uncounted: op or module -> {"calls": n, "gmacs": MACs / 1e9 when known, else "elements"}.
    analytic: MACs declared by modules' ``analytic_macs`` (hooks pass only), per module type.
    """

    counter: str
    macs: int
    reported: int
    by_op: dict[str, int] = field(default_factory=dict)
    uncounted: dict[str, dict[str, float]] = field(default_factory=dict)
    analytic: dict[str, int] = field(default_factory=dict)


def _as_tuple(inputs: Any) -> tuple:
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _op_name(func: Any) -> str:
    return f"aten.{func._overloadpacket.__name__}" if hasattr(func, "_overloadpacket") else str(func)


class _AtenRecorder(TorchDispatchMode):
    """Records every aten op: calls, output elements, and MACs for matrix-product ops.

    ``outside`` collects product ops that ran while no hook-counted module was active
    (``active_depth`` is maintained by the hook counter).
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.elements: Counter[str] = Counter()
        self.macs: Counter[str] = Counter()
        self.outside_macs: Counter[str] = Counter()
        self.outside_calls: Counter[str] = Counter()
        self.active_depth = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: D105
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = _op_name(func)
        self.calls[name] += 1
        first = out[0] if isinstance(out, (tuple, list)) and out else out
        if isinstance(first, torch.Tensor):
            self.elements[name] += first.numel()
        packet = getattr(func, "_overloadpacket", None)
        if packet in _PRODUCT_OPS and packet in _FORMULAS:
            macs = _FORMULAS[packet](*args, **kwargs, out_val=out) // 2
            self.macs[name] += macs
            if self.active_depth == 0:
                self.outside_macs[name] += macs
                self.outside_calls[name] += 1
        return out


def count_flop_counter(model: nn.Module, inputs: Sequence[Any] | torch.Tensor) -> Count:
    """Count with ``torch.utils.flop_counter.FlopCounterMode``; one forward under no_grad.

    (Not inference_mode: it hides the decomposed aten ops from dispatch modes.)
    """
    recorder = _AtenRecorder()
    counter = FlopCounterMode(display=False, custom_mapping=_EXTRA_FLOP_FORMULAS)
    with torch.no_grad(), counter, recorder:
        model(*_as_tuple(inputs))
    counts = counter.get_flop_counts().get("Global", {})
    by_op = {f"aten.{getattr(op, '__name__', str(op))}": int(v) // 2 for op, v in counts.items()}
    counted = set(by_op)
    uncounted = {
        name: {"calls": recorder.calls[name], "elements": recorder.elements[name]}
        for name in recorder.calls
        if name not in counted and name.split(".", 1)[-1] not in _FREE_OPS
    }
    total = int(counter.get_total_flops())
    return Count("flop_counter", macs=total // 2, reported=total, by_op=by_op, uncounted=uncounted)


def _sdpa_fvcore(inputs: list, outputs: list) -> int:
    from fvcore.nn.jit_handles import get_shape

    q, k, v = (get_shape(i) for i in inputs[:3])
    batch = prod(q[:-2])
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


def _baddbmm_fvcore(inputs: list, outputs: list) -> int:
    from fvcore.nn.jit_handles import get_shape

    a, b = get_shape(inputs[1]), get_shape(inputs[2])
    return a[0] * a[1] * a[2] * b[2]


def count_fvcore(model: nn.Module, inputs: Sequence[Any] | torch.Tensor) -> Count:
    """Count with fvcore's ``FlopCountAnalysis`` (JIT trace; one MAC counts 1)."""
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, _as_tuple(inputs))
    analysis.set_op_handle(
        "aten::scaled_dot_product_attention", _sdpa_fvcore, "aten::baddbmm", _baddbmm_fvcore
    )
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        total = int(analysis.total())
        by_op = {k: int(v) for k, v in analysis.by_operator().items()}
        uncounted = {k: {"calls": int(v)} for k, v in analysis.unsupported_ops().items()}
    return Count("fvcore", macs=total, reported=total, by_op=by_op, uncounted=uncounted)


# ---- module hooks (ptflops-style) -------------------------------------------------------------

def _conv_macs(m: nn.Module, inp: tuple, out: torch.Tensor) -> int:
    kernel = prod(m.kernel_size)
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        per_input = kernel * m.out_channels // m.groups
        macs = inp[0].numel() * per_input
    else:
        macs = out.numel() * kernel * m.in_channels // m.groups
    return macs + (out.numel() if m.bias is not None else 0)


def _linear_macs(m: nn.Linear, inp: tuple, out: torch.Tensor) -> int:
    return inp[0].numel() * m.out_features + (out.numel() if m.bias is not None else 0)


def _norm_elems(m: nn.Module, inp: tuple, out: torch.Tensor) -> int:
    # ptflops doubles for ``affine`` (batch/instance/group norm), not LayerNorm's elementwise_affine
    return inp[0].numel() * (2 if getattr(m, "affine", False) else 1)


def _out_elems(m: nn.Module, inp: tuple, out: torch.Tensor) -> int:
    return out.numel()


def _in_elems(m: nn.Module, inp: tuple, out: torch.Tensor) -> int:
    return inp[0].numel()


_HOOK_RULES: list[tuple[tuple[type, ...], Any]] = [
    ((nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
      nn.ConvTranspose3d), _conv_macs),
    ((nn.Linear,), _linear_macs),
    ((nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d), _norm_elems),
    ((nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.ReLU6),
     _out_elems),
    ((nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d), _out_elems),
    ((nn.AvgPool2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d), _in_elems),
]


def _rule_for(module: nn.Module) -> tuple[str, Any] | None:
    """(the standard layer type it is counted as, its rule); subclasses count as their base."""
    for types, rule in _HOOK_RULES:
        for base in types:
            if isinstance(module, base):
                return base.__name__, rule
    return None


def count_hooks(model: nn.Module, inputs: Sequence[Any] | torch.Tensor) -> Count:
    """Module-hook MAC count (ptflops-style), with uncounted matrix products measured and listed."""
    by_type: Counter[str] = Counter()
    analytic: Counter[str] = Counter()
    recorder = _AtenRecorder()
    handles = []

    def pre_hook(module: nn.Module, inp: tuple) -> None:
        recorder.active_depth += 1

    def make_post(name: str, rule: Any):
        def post_hook(module: nn.Module, inp: tuple, out: Any) -> None:
            recorder.active_depth -= 1
            by_type[name] += int(rule(module, inp, out))
        return post_hook

    def analytic_hook(module: nn.Module, inp: tuple, out: Any) -> None:
        analytic[type(module).__name__] += int(module.analytic_macs(inp, out))

    for module in model.modules():
        if callable(getattr(module, "analytic_macs", None)):
            handles.append(module.register_forward_hook(analytic_hook))
        counted = _rule_for(module)
        if counted is not None:
            handles.append(module.register_forward_pre_hook(pre_hook))
            handles.append(module.register_forward_hook(make_post(*counted)))
    try:
        with torch.no_grad(), recorder:
            model(*_as_tuple(inputs))
    finally:
        for h in handles:
            h.remove()
    uncounted: dict[str, dict[str, float]] = defaultdict(dict)
    for name, macs in recorder.outside_macs.items():
        uncounted[name] = {"calls": recorder.outside_calls[name], "gmacs": macs / 1e9}
    total = sum(by_type.values())
    return Count("hooks", macs=total, reported=total, by_op=dict(by_type),
                 uncounted=dict(uncounted), analytic=dict(analytic))


COUNTERS = {"fvcore": count_fvcore, "flop_counter": count_flop_counter, "hooks": count_hooks}
