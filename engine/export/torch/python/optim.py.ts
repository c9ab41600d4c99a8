// optim.py of the PyTorch export: schedules and optimizers, mirroring engine/optim/. The common part
// is here; each optimizer kind's class comes from its definition (engine/optim/kinds/<kind>.ts).
// Verbatim raw strings (so no backticks or ${ inside); it holds no user values (see ../export.ts).
import type { AnyOptimizerKind } from '../../../optim/kinds/define';
import { OPTIMIZER_KIND_DEFINITIONS } from '../../../optim/kinds';

const KINDS = OPTIMIZER_KIND_DEFINITIONS as readonly AnyOptimizerKind[];

const COMMON_PY = String.raw`# Learning-rate schedules and optimizers with the engine's semantics (engine/optim/): lr_at is
# engine/optim/schedules.ts line for line; AdamW, Adam, SGD and Adagrad are torch.optim (the
# engine was written to match them); Lion (Chen et al. 2023) and Muon (Keller Jordan 2024) are
# written out below. Weight decay skips params of rank < 2 (norm weights) unless
# decay_norms_and_biases. Optimizer state is converted to and from the engine's checkpoint names
# (optim.step, optim.m.<param>, ...). One Kind subclass per optimizer kind, listed in KINDS.
import math
import re

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


class Kind:
    """How one optimizer kind builds its torch optimizer and names its state the engine's way. The
    defaults fit the torch.optim kinds; a kind overrides what differs. c is the live config section."""
    slot_keys = {}  # the engine's slot name -> the torch state key
    counts_steps = False  # torch keeps state["step"] per param (adam, adamw, adagrad)

    def __init__(self, c):
        self.c = c

    def build(self, named):
        """The torch optimizer over [(name, param)]."""
        raise NotImplementedError

    def decayed(self, p):
        return self.c["weight_decay"] != 0 and (self.c["decay_norms_and_biases"] or p.dim() >= 2)

    def decay_groups(self, named):
        """Param groups: those that decay (first, marked "decayed") and those that do not."""
        wd = self.c["weight_decay"]
        decay = [p for n, p in named if self.decayed(p)]
        no_decay = [p for n, p in named if not self.decayed(p)]
        groups = ({"params": decay, "weight_decay": wd, "decayed": True}, {"params": no_decay, "weight_decay": 0.0, "decayed": False})
        return [g for g in groups if g["params"]]

    def slots(self, name, p):
        """The engine's slots of one param, as [(slot, torch state key)]."""
        return list(self.slot_keys.items())

    def initial(self, slot):
        """The value of a slot torch has not created yet."""
        return 0.0

    def restored(self, p, t, state):
        """The torch state of a param restored at its t-th update, from {torch key: tensor}."""
        if self.counts_steps:
            state["step"] = torch.tensor(float(t))
        return state

    def retune(self, opt):
        """Takes a live edit of the config's hyperparameters (the kind and the grouping stay)."""
        c = self.c
        for group in opt.param_groups:
            if "betas" in group:
                group["betas"] = (c["beta1"], c["beta2"])
            for key in ("eps", "momentum", "dampening", "nesterov"):
                if key in group:
                    group[key] = c[key]
            if group["decayed"]:
                group["weight_decay"] = c["weight_decay"]


`;

const OPTIMIZER_PY = String.raw`class Optimizer:
    """A torch optimizer over named params, with the engine's grouping, lr per step and state names."""

    def __init__(self, named_params, c):
        self.c = c
        self.kind = c["kind"]
        if self.kind not in KINDS:
            raise ValueError("unknown optimizer kind %r" % self.kind)
        self.rule = KINDS[self.kind](c)
        self.named = list(named_params)  # [(name, param)] in the model's canonical order
        self.torch = self.rule.build(self.named)
        self.steps = 0  # calls to step()
        self.param_steps = {n: 0 for n, _ in self.named}  # updates each param received

    def retune(self):
        """Takes a live edit of the config's hyperparameters (the kind and the grouping stay)."""
        self.rule.retune(self.torch)

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
            for slot, key in self.rule.slots(n, p):
                value = state.get(key)
                if value is None:  # never updated (sgd's buffer starts as a copy of the first grad)
                    value = torch.full_like(p, self.rule.initial(slot))
                out.append(("optim.%s.%s" % (slot, n), value.detach().float().cpu()))
        return out

    def load_state_tensors(self, tensors):
        """Restores what state_tensors() wrote (other keys ignored); checks everything first."""
        expected = {"optim.step": []}
        for n, p in self.named:
            expected["optim.step." + n] = []
            for slot, _ in self.rule.slots(n, p):
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
            for slot, key in self.rule.slots(n, p):
                state[key] = torch.as_tensor(tensors["optim.%s.%s" % (slot, n)], dtype=torch.float32).to(p.device).clone()
            state = self.rule.restored(p, t, state)
            if state:
                self.torch.state[p] = state
            else:
                self.torch.state.pop(p, None)
`;

/** The kinds' classes, then the table Optimizer looks a config's kind up in. */
const kindsPy = () =>
  `${KINDS.map((d) => d.python.source).join('\n\n')}\n\n# The optimizer kinds by config.json's optimizer.kind.\n` +
  `KINDS = {${KINDS.map((d) => `${JSON.stringify(d.kind)}: ${d.python.className}`).join(', ')}}\n`;

export const OPTIM_PY = `${COMMON_PY}${kindsPy()}\n\n${OPTIMIZER_PY}`;
