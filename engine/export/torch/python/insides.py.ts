// insides.py of the PyTorch export: the inside view (model/insides, docs/events.md), measured on due steps.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const INSIDES_PY = String.raw`# The inside view of the model while it trains: per-layer numbers of the inner nodes of the model
# block (the role ids of engine/model-graph/graph.ts), the same as the engine's model/insides event.
#
#   act_rms       sqrt(mean(out^2)) of each inner node's output in the first micro-batch's forward
#   grad_norm     L2 norm of each inner node's own parameters' gradient, as the optimizer receives
#                 it (accumulated over the micro-batches, averaged over processes), before clipping
#   attn_entropy  per layer, the mean over batch, heads and query positions of -sum p ln p of the
#                 causal attention weights, in nats
#
# Nodes of the repeated block (norm1, attn, res1, norm2, ffn, res2) get one number per layer; the
# model's own (wte, wpe with learned positions, norm_f, lm_head) one. Measured only at due steps
# (step 1 and every multiple of inspect_every): forward hooks exist only during that forward, and
# attention computes its weights explicitly only then, so other steps run the usual kernels.
import contextlib
import math

import torch
import torch.distributed as dist

BLOCK_NODES = ("norm1", "attn", "res1", "norm2", "ffn", "res2")  # inside the repeat, in block order
INSIDES_FILE = "insides.jsonl"  # one line per due step: {"step", "layers", "blocks"}


def is_due(step, every):
    """Whether step 'step' (optimizer steps completed) gets an inside view; every 0 turns it off."""
    return every > 0 and (step == 1 or step % every == 0)


def inner_node_of(name):
    """(inner node id, layer) a parameter belongs to: blocks.3.attn.wq -> ("attn", 3), norm_f.weight -> ("norm_f", 0)."""
    parts = name.split(".")
    return (parts[2], int(parts[1])) if parts[0] == "blocks" else (parts[0], 0)


def measured_modules(model):
    """[(inner node id, [module per layer])] whose outputs the inside view reads."""
    outer = [(role, [tap]) for role, tap in model.taps.items() if role != "lm_head"]
    inner = [(role, [getattr(b, role) for b in model.blocks]) for role in BLOCK_NODES if getattr(model.blocks[0], role) is not None]
    final = [("norm_f", [model.norm_f])] if model.norm_f is not None else []
    return outer + inner + final + [("lm_head", [model.taps["lm_head"]])]


def finite_or_none(x):
    return x if math.isfinite(x) else None


class InsidesProbe:
    """Collects one due step's numbers: watch() around the first micro-batch's forward, then
    result() after the gradients are complete (before clipping changes them)."""

    def __init__(self, model, world):
        self.model, self.world = model, world
        self.modules = measured_modules(model)
        self.mean_squares = {}  # (role, layer) -> float32 scalar on the device: no sync until result()
        self.entropies = {}  # layer -> float32 scalar

    @contextlib.contextmanager
    def watch(self):
        """Hooks on the measured modules for one forward; attention keeps its weights' entropy."""
        self.mean_squares, self.entropies = {}, {}
        handles = []
        for role, modules in self.modules:
            for layer, module in enumerate(modules):
                handles.append(module.register_forward_hook(self._hook(role, layer)))
        attns = [b.attn for b in self.model.blocks]
        for attn in attns:
            attn.measure_entropy = True
        try:
            yield
        finally:
            for attn in attns:
                attn.measure_entropy = False
            for h in handles:
                h.remove()

    def _hook(self, role, layer):
        def hook(module, inputs, output):
            out = output.detach()
            self.mean_squares[(role, layer)] = torch.linalg.vector_norm(out, dtype=torch.float32).square() / out.numel()
            if role == "attn":
                self.entropies[layer] = module.entropy
        return hook

    def grad_squares(self):
        """(role, layer) -> sum of the squared gradient entries of that node's parameters (float32, on the device)."""
        sums = {}
        for name, p in self.model.ordered_parameters():
            if p.grad is None:
                continue
            key = inner_node_of(name)
            sq = torch.linalg.vector_norm(p.grad.detach(), dtype=torch.float32).square()
            sums[key] = sums[key] + sq if key in sums else sq
        return sums

    def result(self):
        """The event's data {layers, blocks}; with several processes every one must call it (one all-reduce)."""
        acts = sorted(self.mean_squares)
        layers = sorted(self.entropies)
        values = torch.stack([self.mean_squares[k] for k in acts] + [self.entropies[i] for i in layers])
        if self.world > 1:  # equal slices of the batch: the mean over processes is the mean over the batch
            dist.all_reduce(values)
            values = values / self.world
        grads = self.grad_squares()  # already averaged over processes by DDP
        grad_keys = sorted(grads)
        numbers = torch.cat([values, torch.stack([grads[k] for k in grad_keys])]).double().cpu().tolist()  # the one sync
        n = len(self.model.blocks)
        blocks = {}

        def put(role, layer, field, value):
            size = n if role in BLOCK_NODES else 1
            entry = blocks.setdefault(role, {}).setdefault(field, [None] * size)
            entry[layer] = finite_or_none(value)

        for (role, layer), ms in zip(acts, numbers):
            put(role, layer, "act_rms", math.sqrt(ms) if ms >= 0 else float("nan"))
        for layer, h in zip(layers, numbers[len(acts):]):
            put("attn", layer, "attn_entropy", h)
        for (role, layer), sq in zip(grad_keys, numbers[len(acts) + len(layers):]):
            put(role, layer, "grad_norm", math.sqrt(sq) if sq >= 0 else float("nan"))
        order = [role for role, _ in self.modules]  # the model's order, as the engine lists them
        return {"layers": n, "blocks": {role: blocks[role] for role in sorted(blocks, key=order.index)}}
`;
