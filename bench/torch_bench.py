# PyTorch side of `npm run bench` (bench/run.ts): trains one reference config on the CPU with the
# exporter's own model.py and optim.py (written to --model-dir by run.ts from
# engine/export/torch/python), the way the exported train.py steps: forward, cross-entropy,
# backward, clip_grad_norm_, AdamW with the engine's decay grouping, zero_grad. Prints one JSON
# line with per-step times.
#
# Threads: torch.set_num_threads(n) sets torch's own (OpenMP) pool; OpenBLAS keeps a separate
# pthread pool, so run.ts also sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment.
# On a GPU (bench/gpu-check.ts): --device cuda --dtype bfloat16 runs the step under bf16 autocast
# (weights and optimizer in float32, as train.py does); --model plain trains bench/plain_gpt.py, the
# same architecture written as a plain PyTorch loop; --compile wraps the model in torch.compile.
# Usage (normally via run.ts):
#   python3 bench/torch_bench.py --model-dir DIR --config '{"vocab_size":256,...}' --batch 16 --steps 20 --threads 1
#   python3 bench/torch_bench.py --peak --threads 1      # fp32 GEMM peak (GFLOP/s), no model
#   python3 bench/torch_bench.py --peak --device cuda --dtype bfloat16   # the GPU's bf16 GEMM peak
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
    ap.add_argument("--peak", action="store_true", help="measure matmul GFLOP/s instead of training")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="bfloat16: autocast, float32 weights")
    ap.add_argument("--model", choices=["exporter", "plain"], default="exporter")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch >= 2.0)")
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


def gpu_peak(dtype_name):
    """The GPU's GEMM throughput in that dtype: the fastest of 20 timed square products per size."""
    import torch

    dtype = getattr(torch, dtype_name)
    best = 0.0
    sizes = {}
    for n in (2048, 4096, 8192):
        a = torch.randn(n, n, device="cuda", dtype=dtype)
        b = torch.randn(n, n, device="cuda", dtype=dtype)
        for _ in range(3):
            a @ b
        torch.cuda.synchronize()
        ts = []
        for _ in range(20):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            a @ b
            end.record()
            end.synchronize()
            ts.append(start.elapsed_time(end) / 1000)
        gflops = 2 * n ** 3 / min(ts) / 1e9
        sizes[str(n)] = round(gflops, 1)
        best = max(best, gflops)
    return {"peak_gflops": best, "by_size": sizes, "dtype": dtype_name, "device": torch.cuda.get_device_name(0)}


def build(args, device):
    """The model and an optimizer step function: the exporter's model.py + optim.py, or plain_gpt.py."""
    import torch

    config = json.loads(args.config)
    if args.model == "plain":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from plain_gpt import PlainGPT, plain_optimizer  # noqa: E402

        model = PlainGPT(config).to(device)
        optim = plain_optimizer(model, 1e-3, device)
        return model, config, lambda: optim.step(), lambda: optim.zero_grad(set_to_none=True)
    sys.path.insert(0, args.model_dir)
    from model import GPT, GPTConfig, init_parameters  # noqa: E402 (the exporter's files)
    from optim import Optimizer  # noqa: E402

    model = GPT(GPTConfig(**config))
    init_parameters(model, 1337)
    model.to(device)
    optim = Optimizer(model.named_parameters(), {
        "kind": "adamw", "lr": 1e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1,
        "decay_norms_and_biases": False, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "initial_accumulator": 0.0,
    })
    return model, config, lambda: optim.step(1e-3), lambda: optim.torch.zero_grad(set_to_none=True)


def train(args):
    import contextlib

    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model, c, optim_step, zero_grad = build(args, device)
    step_model = torch.compile(model) if args.compile else model
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if args.dtype == "bfloat16" else contextlib.nullcontext
    B, T, V = args.batch, c["context_length"], c["vocab_size"]
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, V, size=max(200_000, 4 * B * (T + 1)), dtype=np.int64)

    def batch():
        starts = rng.integers(0, len(tokens) - T - 1, size=B)
        x = np.stack([tokens[s:s + T] for s in starts])
        y = np.stack([tokens[s + 1:s + T + 1] for s in starts])
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    def step():
        x, y = batch()
        with autocast():
            logits = step_model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, V), y.reshape(-1))
        loss.backward()
        loss_value = loss.item()  # on a GPU this waits for the step: the times below are whole steps
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        optim_step()
        zero_grad()
        return loss_value

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    times = []
    cpu_times = []  # process CPU time (all threads): robust when other work shares the cores
    loss = None
    for _ in range(args.steps):
        t = time.perf_counter()
        c0 = time.process_time()
        loss = step()
        times.append((time.perf_counter() - t) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    params = sum(p.numel() for p in model.parameters())
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"ms": times, "cpu_ms": cpu_times, "median_ms": median(times), "params": params, "loss": loss, "peak_rss_mb": rss_kb / 1024,
           "threads": args.threads, "torch": torch.__version__, "device": args.device, "dtype": args.dtype, "model": args.model}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
        return out
    return {**out, **blas_info()}


def main():
    args = parse_args()
    if args.peak:
        out = gpu_peak(args.dtype) if args.device == "cuda" else peak(args.threads)
    else:
        out = train(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
