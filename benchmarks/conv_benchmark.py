"""How fast is the NumPy convolution? Forward + backward of ``course.layers.convolution``'s fast
path against ``torch.nn.functional.conv2d`` with autograd, in the same process, in float64, with
the same number of threads, and against the machine's own float64 matrix-multiply rate.

    python benchmarks/conv_benchmark.py [--repeats 15]

Measured, not asserted: timings on a shared machine are noisy, so each figure is the median of
several calls, NumPy and torch calls alternate, and the GEMM rate is measured in the same run.
A convolution forward costs 2 * N * F * C * KH * KW * H_out * W_out flops; the backward costs
twice that (dx and dw), so forward + backward counts 3 times the forward.
"""
import argparse
import os
import time

import numpy as np
import torch

from course.layers.convolution import conv_backward_fast, conv_forward_fast

SHAPES = [
    # (N, C, H, W, F, KH, KW, stride, pad, what it stands for)
    (32, 16, 32, 32, 32, 3, 3, 1, 1, "the reference shape"),
    (16, 64, 16, 16, 64, 3, 3, 1, 1, "a deeper layer"),
    (16, 3, 64, 64, 16, 5, 5, 2, 2, "a first layer, stride 2"),
]


def blas_threads():
    """Threads NumPy's BLAS uses (threadpoolctl, when installed), else the number of CPUs."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1, "os.cpu_count()"
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return pool["num_threads"], f"{pool['internal_api']} via threadpoolctl"
    return os.cpu_count() or 1, "os.cpu_count()"


def median_times(functions, repeats, block=3):
    """Median seconds per call of each function.

    The functions take turns in blocks of ``block`` calls, so that a burst of load from other
    processes hits all of them alike, while each block still runs warm: NumPy's BLAS threads and
    torch's OpenMP threads both spin for a while after a call, and strict alternation would make
    them fight over the cores.
    """
    for function in functions:  # warm-up: allocations, lazy initialisation, caches
        function()
    times = [[] for _ in functions]
    for _ in range(max(1, -(-repeats // block))):
        for function, spent in zip(functions, times):
            function()  # first call of a block: the other library's threads may still be spinning
            for _ in range(block):
                start = time.perf_counter()
                function()
                spent.append(time.perf_counter() - start)
    return [float(np.median(spent)) for spent in times]


def gemm_rate(repeats, size=2000):
    """float64 flops per second of one large ``a @ b``."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(size, size)), rng.normal(size=(size, size))
    (seconds,) = median_times([lambda: a @ b], max(3, repeats // 3))
    return 2 * size**3 / seconds


def benchmark_shape(shape, repeats, rng):
    n, c, height, width, filters, kernel_height, kernel_width, stride, pad, _ = shape
    x = rng.normal(size=(n, c, height, width))
    w = rng.normal(size=(filters, c, kernel_height, kernel_width)) / np.sqrt(c * kernel_height * kernel_width)
    b = rng.normal(size=filters)
    out, cache = conv_forward_fast(x, w, b, stride, pad)
    dout = rng.normal(size=out.shape)

    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    tdout = torch.tensor(dout)

    def numpy_step():
        _, step_cache = conv_forward_fast(x, w, b, stride, pad)
        return conv_backward_fast(dout, step_cache)

    def torch_step():
        tout = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
        return torch.autograd.grad(tout, (tx, tw, tb), tdout)

    # the same numbers first, or the timing means nothing
    for ours, theirs in zip(numpy_step(), torch_step()):
        scale = np.max(np.abs(theirs.numpy()))
        assert np.max(np.abs(ours - theirs.numpy())) <= 1e-9 * scale, "NumPy and torch disagree"

    numpy_seconds, torch_seconds = median_times([numpy_step, torch_step], repeats)
    flops = 3 * 2 * n * filters * c * kernel_height * kernel_width * out.shape[2] * out.shape[3]
    return numpy_seconds, torch_seconds, flops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per measurement (median)")
    args = parser.parse_args()

    threads, source = blas_threads()
    torch.set_num_threads(threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, float64, {threads} threads "
          f"(NumPy's BLAS: {source}; torch.set_num_threads({threads})), {os.cpu_count()} CPUs")
    rate = gemm_rate(args.repeats)
    print(f"float64 GEMM rate (2000 x 2000 @ 2000 x 2000): {rate / 1e9:.1f} GFLOP/s")
    print()
    header = (f"{'shape N,C,HxW -> F,KHxKW /stride pad':<40} {'GFLOP':>6} {'numpy ms':>9} {'torch ms':>9} "
              f"{'numpy/torch':>11} {'numpy %GEMM':>11} {'torch %GEMM':>11}")
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        numpy_seconds, torch_seconds, flops = benchmark_shape(shape, args.repeats, rng)
        n, c, height, width, filters, kernel_height, kernel_width, stride, pad, what = shape
        label = f"{n},{c},{height}x{width} -> {filters},{kernel_height}x{kernel_width} /{stride} p{pad}"
        print(f"{label:<40} {flops / 1e9:>6.2f} {numpy_seconds * 1e3:>9.1f} {torch_seconds * 1e3:>9.1f} "
              f"{numpy_seconds / torch_seconds:>11.2f} {flops / numpy_seconds / rate:>11.0%} "
              f"{flops / torch_seconds / rate:>11.0%}   {what}")
    print()
    print("time per forward + backward call (median); numpy/torch below 1 means NumPy is faster;")
    print("%GEMM: the conv's flop rate as a share of the GEMM rate above.")


if __name__ == "__main__":
    main()
