"""oneDNN primitive timing: the verbose-line parser and a real capture of a small convolution."""

import torch
import torch.nn.functional as F

from benchmarks.onednn_profile import PrimitiveTime, format_table, parse_verbose, profile_primitives

LINES = [
    "onednn_verbose,v1,info,cpu,runtime:OpenMP,nthr:2",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,brgconv_1x1:avx512_core,forward_training,"
    "src:f32::blocked:acdb::f0 wei:f32:ap:blocked:Acdb48a::f0,attr-scratchpad:user,"
    "alg:convolution_direct,mb16_ic236oc944_ih416oh416kh1sh1dh0ph0_iw1ow1kw1sw1dw0pw0,2.5",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,brgconv_1x1:avx512_core,forward_training,"
    "src:f32::blocked:acdb::f0,,alg:convolution_direct,mb16_ic236oc944,1.5",
    "onednn_verbose,v1,primitive,exec,cpu,convolution,jit_1x1:avx512_core,backward_weights,"
    "src:f32::blocked:acdb::f0,,alg:convolution_direct,mb16_ic236oc944,6",
    "onednn_verbose,v1,primitive,create:cache_hit,cpu,convolution,jit_1x1:avx512_core,"
    "backward_weights,src:f32,,alg:convolution_direct,mb16,0.01",
    "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32,,,944x236x1x1,not-a-time",
    "some other output",
]


def test_parse_verbose_sums_exec_lines_by_kind_implementation_and_propagation():
    rows = parse_verbose(LINES)
    assert rows == [
        PrimitiveTime("convolution", "jit_1x1:avx512_core", "backward_weights", 1, 0.006),
        PrimitiveTime("convolution", "brgconv_1x1:avx512_core", "forward_training", 2, 0.004),
    ]
    table = format_table(rows, step_seconds=0.02)
    assert "backward_weights" in table and "30.0%" in table and "50.0%" in table


def test_profile_primitives_times_a_convolution_forward_and_backward(capfd):
    # big enough for PyTorch to pick oneDNN (it runs tiny convolutions natively)
    x = torch.randn(1, 32, 32, 32).contiguous(memory_format=torch.channels_last).requires_grad_()
    w = torch.randn(32, 32, 3, 3, requires_grad=True)

    def step():
        F.conv2d(x, w, padding=1).sum().backward()

    rows = profile_primitives(step)
    convs = {r.propagation: r for r in rows if r.kind == "convolution"}
    assert {"forward_training", "backward_data", "backward_weights"} <= set(convs)
    assert all(r.calls == 1 and r.seconds > 0 for r in convs.values())
    print("after")
    assert capfd.readouterr().out == "after\n"  # verbose lines do not leak; stdout is restored
