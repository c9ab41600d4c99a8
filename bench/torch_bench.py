# PyTorch side of `npm run bench` (bench/run.ts): trains one reference config on the CPU with the
# exporter's own model.py and optim.py (written to --model-dir by run.ts from
# engine/export/torch/python), the way the exported train.py steps: forward, cross-entropy,
# backward, clip_grad_norm_, AdamW with the engine's decay grouping, zero_grad. Prints one JSON
# line with per-step times.
#
# Threads: torch.set_num_threads(n) sets torch's own (OpenMP) pool; OpenBLAS keeps a separate
# pthread pool, so run.ts also sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment.
# Usage (normally via run.ts):
#   python3 bench/torch_bench.py --model-dir DIR --config '{"vocab_size":256,...}' --batch 16 --steps 20 --threads 1
#   python3 bench/torch_bench.py --peak --threads 1      # fp32 GEMM peak (GFLOP/s), no model
import argparse
import json
import os
import resource
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", help="folder holding the exporter's model.py, optim.py, rng.py")
    ap.add_argument("--config", help="model config as JSON (model.py's GPTConfig fields)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--peak", action="store_true", help="measure fp32 matmul GFLOP/s instead of training")
    return ap.parse_args()


def blas_info():
    """Which BLAS torch's matmuls land in, and the OpenBLAS kernel set it picked (its 'core')."""
    import ctypes

    info = {"blas": "unknown", "core": None}
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        maps = ""
    for name in ("openblas", "mkl", "blis", "libblas.so"):
        if name in maps:
            info["blas"] = name
            break
    if info["blas"] in ("openblas", "libblas.so"):
        try:
            lib = ctypes.CDLL("libopenblas.so.0")
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["core"] = lib.openblas_get_corename().decode()
            info["config"] = lib.openblas_get_config().decode()
            info["blas_threads"] = lib.openblas_get_num_threads()
            info["blas"] = "openblas"
        except OSError:
            pass
    return info


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def peak(threads):
    """fp32 GEMM throughput: the fastest of 12 square matmuls per size (other work on the machine can
    only slow a run down, so the fastest is the capability), best size reported."""
    import torch

    torch.set_num_threads(threads)
    best = 0.0
    sizes = {}
    for n in (512, 1024, 2048):
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        for _ in range(2):
            a @ b
        ts = []
        for _ in range(12 if n < 2048 else 5):
            t = time.perf_counter()
            a @ b
            ts.append(time.perf_counter() - t)
        gflops = 2 * n ** 3 / min(ts) / 1e9
        sizes[str(n)] = round(gflops, 1)
        best = max(best, gflops)
    return {"peak_gflops": best, "by_size": sizes, **blas_info(), "threads": threads}


def train(args):
    import numpy as np
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, args.model_dir)
    from model import GPT, GPTConfig, init_parameters  # noqa: E402 (the exporter's files)
    from optim import Optimizer  # noqa: E402

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = GPTConfig(**json.loads(args.config))
    model = GPT(c)
    init_parameters(model, 1337)
    optim = Optimizer(model.named_parameters(), {
        "kind": "adamw", "lr": 1e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1,
        "decay_norms_and_biases": False, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "initial_accumulator": 0.0,
    })
    B, T = args.batch, c.context_length
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, c.vocab_size, size=200_000, dtype=np.int64)

    def batch():
        starts = rng.integers(0, len(tokens) - T - 1, size=B)
        x = np.stack([tokens[s:s + T] for s in starts])
        y = np.stack([tokens[s + 1:s + T + 1] for s in starts])
        return torch.from_numpy(x), torch.from_numpy(y)

    def step():
        x, y = batch()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        loss_value = loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        optim.step(1e-3)
        optim.torch.zero_grad(set_to_none=True)
        return loss_value

    for _ in range(args.warmup):
        step()
    times = []
    cpu_times = []  # process CPU time (all threads): robust when other work shares the cores
    loss = None
    for _ in range(args.steps):
        t = time.perf_counter()
        c = time.process_time()
        loss = step()
        times.append((time.perf_counter() - t) * 1000)
        cpu_times.append((time.process_time() - c) * 1000)
    params = sum(p.numel() for p in model.parameters())
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"ms": times, "cpu_ms": cpu_times, "median_ms": median(times), "params": params, "loss": loss, "peak_rss_mb": rss_kb / 1024,
            "threads": args.threads, "torch": torch.__version__, **blas_info()}


def main():
    args = parse_args()
    out = peak(args.threads) if args.peak else train(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
