// optim.py of the PyTorch export: schedules and optimizers, mirroring engine/optim/.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const OPTIM_PY = String.raw`# Learning-rate schedules and optimizers with the engine's semantics (engine/optim/): lr_at is
# engine/optim/schedules.ts line for line; AdamW, Adam, SGD and Adagrad are torch.optim (the
# engine was written to match them); Lion (Chen et al. 2023) is written out below. Weight decay
# skips params of rank < 2 (norm weights) unless decay_norms_and_biases. Optimizer state is
# converted to and from the engine's checkpoint names (optim.step, optim.m.<param>, ...).
import math

import torch


def lr_at(step, c, total_steps):
    """Learning rate for the 0-based optimizer step 'step'; c is config.json's 'schedule'."""
    lr, min_lr, warm = c["lr"], c["min_lr"], c["warmup_steps"]
    total = c["decay_steps"] or total_steps  # 0: the run length
    kind = c["kind"]
    # 1) linear warmup, every kind: step 0 already moves (lr / warmup), step warm - 1 reaches lr
    if step < warm:
        return lr * (step + 1) / warm
    # 2) the kinds without an end: constant and step decay
    if kind == "constant":
        return lr
    if kind == "step":
        return lr * c["gamma"] ** math.floor((step - warm) / c["step_size"])
    # 3) the decaying kinds hold min_lr from 'total' on
    if step >= total:
        return min_lr
    # 4) decay from lr at the end of warmup to min_lr at 'total'
    progress = (step - warm) / (total - warm)
    if kind == "linear":
        return lr + (min_lr - lr) * progress
    if kind == "cosine":
        return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (lr - min_lr)
    if kind == "wsd":
        # hold lr, then decay linearly over the last decay_fraction of the run
        decay_start = max(warm, total - math.floor(c["decay_fraction"] * total + 0.5))  # JS Math.round
        if step < decay_start:
            return lr
        return lr + (min_lr - lr) * (step - decay_start) / (total - decay_start)
    raise ValueError("unknown schedule kind %r" % kind)


class Lion(torch.optim.Optimizer):
    """Lion: p *= 1 - lr * wd; p -= lr * sign(beta1 * m + (1 - beta1) * g); m = beta2 * m + (1 - beta2) * g."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                if wd != 0:
                    p.mul_(1 - lr * wd)
                update = (m * beta1).add_(g, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                m.mul_(beta2).add_(g, alpha=1 - beta2)


# The engine's per-param state slots and the torch.optim state keys they correspond to.
SLOTS = {
    "adamw": [("m", "exp_avg"), ("v", "exp_avg_sq")],
    "adam": [("m", "exp_avg"), ("v", "exp_avg_sq")],
    "lion": [("m", "exp_avg")],
    "sgd": [("momentum", "momentum_buffer")],
    "adagrad": [("sum", "sum")],
}


class Optimizer:
    """A torch optimizer over named params, with the engine's grouping, lr per step and state names."""

    def __init__(self, named_params, c):
        self.c = c
        self.kind = c["kind"]
        self.named = list(named_params)  # [(name, param)] in the model's canonical order
        wd = c["weight_decay"]
        decay = [p for n, p in self.named if self.decayed(p)]
        no_decay = [p for n, p in self.named if not self.decayed(p)]
        groups = [g for g in ({"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}) if g["params"]]
        lr, betas, eps = c["lr"], (c["beta1"], c["beta2"]), c["eps"]
        if self.kind == "adamw":
            self.torch = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)
        elif self.kind == "adam":
            self.torch = torch.optim.Adam(groups, lr=lr, betas=betas, eps=eps)
        elif self.kind == "sgd":
            self.torch = torch.optim.SGD(groups, lr=lr, momentum=c["momentum"], dampening=c["dampening"], nesterov=c["nesterov"])
        elif self.kind == "adagrad":
            self.torch = torch.optim.Adagrad(groups, lr=lr, eps=eps, initial_accumulator_value=c["initial_accumulator"])
        elif self.kind == "lion":
            self.torch = Lion(groups, lr=lr, betas=betas, weight_decay=wd)
        else:
            raise ValueError("unknown optimizer kind %r" % self.kind)
        self.has_decay_group = bool(decay)  # param_groups[0] then: the group whose weight_decay a live edit changes
        self.steps = 0  # calls to step()
        self.param_steps = {n: 0 for n, _ in self.named}  # updates each param received

    def retune(self):
        """Takes a live edit of the config's hyperparameters (the kind and the grouping stay)."""
        c = self.c
        for group in self.torch.param_groups:
            if "betas" in group:
                group["betas"] = (c["beta1"], c["beta2"])
            for key in ("eps", "momentum", "dampening", "nesterov"):
                if key in group:
                    group[key] = c[key]
        if self.has_decay_group:
            self.torch.param_groups[0]["weight_decay"] = c["weight_decay"]

    def decayed(self, p):
        return self.c["weight_decay"] != 0 and (self.c["decay_norms_and_biases"] or p.dim() >= 2)

    def slots(self):
        if self.kind == "sgd" and self.c["momentum"] == 0:
            return []
        return SLOTS[self.kind]

    def step(self, lr):
        for group in self.torch.param_groups:
            group["lr"] = lr
        for n, p in self.named:
            if p.grad is not None:
                self.param_steps[n] += 1
        self.steps += 1
        self.torch.step()

    def state_tensors(self):
        """The engine's checkpoint entries: optim.step, then per param optim.step.<name> and slots."""
        out = [("optim.step", torch.tensor(self.steps, dtype=torch.int32))]
        for n, p in self.named:
            out.append(("optim.step." + n, torch.tensor(self.param_steps[n], dtype=torch.int32)))
            state = self.torch.state.get(p, {})
            for slot, key in self.slots():
                value = state.get(key)
                if value is None:  # never updated (sgd's buffer starts as a copy of the first grad)
                    value = torch.full_like(p, self.c["initial_accumulator"] if self.kind == "adagrad" else 0.0)
                out.append(("optim.%s.%s" % (slot, n), value.detach().float().cpu()))
        return out

    def load_state_tensors(self, tensors):
        """Restores what state_tensors() wrote (other keys ignored); checks everything first."""
        expected = {"optim.step": []}
        for n, p in self.named:
            expected["optim.step." + n] = []
            for slot, _ in self.slots():
                expected["optim.%s.%s" % (slot, n)] = list(p.shape)
        for key, shape in expected.items():
            if key not in tensors:
                raise ValueError("optimizer %s: checkpoint state lacks %s" % (self.kind, key))
            if list(tensors[key].shape) != shape:
                raise ValueError("optimizer %s: %s has shape %s, expected %s" % (self.kind, key, list(tensors[key].shape), shape))
        for key in tensors:
            if key.startswith("optim.") and key not in expected:
                raise ValueError("optimizer %s: checkpoint state has %s, which this optimizer does not keep "
                                 "(saved by another optimizer kind or for other params?)" % (self.kind, key))

        def count(key):
            v = float(tensors[key].reshape(-1)[0])
            if v != int(v) or v < 0:
                raise ValueError("optimizer %s: %s must be a non-negative integer, got %s" % (self.kind, key, v))
            return int(v)

        self.steps = count("optim.step")
        for n, p in self.named:
            t = count("optim.step." + n)
            self.param_steps[n] = t
            state = {}
            for slot, key in self.slots():
                state[key] = torch.as_tensor(tensors["optim.%s.%s" % (slot, n)], dtype=torch.float32).to(p.device).clone()
            if self.kind in ("adam", "adamw", "adagrad"):
                state["step"] = torch.tensor(float(t))
            if self.kind == "sgd" and t == 0:
                state = {}  # torch starts the momentum buffer at the first update
            if state:
                self.torch.state[p] = state
            else:
                self.torch.state.pop(p, None)
`;
