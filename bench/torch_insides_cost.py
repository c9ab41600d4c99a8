"""What the inside view costs a PyTorch export: train.py's own step, timed with and without it.

    npm run export:torch -- pipelines/seed.json --out /tmp/seed
    python3 bench/torch_insides_cost.py /tmp/seed [--pairs 60] [--device cpu|cuda] [--every 20]

Steps alternate between measured (inspect_every 1: every step is due) and plain (inspect_every 0),
so drifts of a shared machine hit both alike; eval and sampling are off. The extra time of a
measured step, spread over 'every' steps, is the share of step time the inside view takes at that
setting. Prints one JSON line.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("export_dir")
    p.add_argument("--pairs", type=int, default=60, help="measured + plain step pairs (after 5 warm-up steps)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--every", type=int, default=20, help="inspect_every to report the share for (the default, 20)")
    a = p.parse_args()
    sys.path.insert(0, os.path.abspath(a.export_dir))
    import torch
    import config
    import train

    cfg = config.load(os.path.join(a.export_dir, "config.json"))
    cfg["eval"] = cfg["sample"] = None
    out = tempfile.mkdtemp(prefix="insides-cost-")
    run = train.Run(train.parse_args(["--config", os.path.join(a.export_dir, "config.json"), "--out", out, "--device", a.device]), cfg)
    run.total = 10 ** 8

    def step(every):
        cfg["model"]["inspect_every"] = every
        t0 = time.perf_counter()
        _, insides = run.train_step()
        if insides is not None:
            json.dumps(insides)  # what run() writes
        if run.device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) * 1000

    for _ in range(5):
        step(0)
    measured, plain = [], []
    for i in range(a.pairs):
        if i % 2:
            measured.append(step(1))
            plain.append(step(0))
        else:
            plain.append(step(0))
            measured.append(step(1))
    plain_ms, measured_ms = statistics.median(plain), statistics.median(measured)
    extra = measured_ms - plain_ms
    print(json.dumps({
        "device": run.device.type, "torch": torch.__version__, "threads": torch.get_num_threads(), "pairs": a.pairs,
        "model": {k: cfg["model"][k] for k in ("d_model", "n_layers", "n_heads", "vocab_size", "context_length")},
        "batch": cfg["batch"]["batch_size"], "plain_step_ms": round(plain_ms, 3), "measured_step_ms": round(measured_ms, 3),
        "extra_ms": round(extra, 3), "inspect_every": a.every, "share_of_step_time": round(extra / (a.every * plain_ms), 5),
    }))


if __name__ == "__main__":
    main()
