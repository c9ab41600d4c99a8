// muon: Muon (Keller Jordan 2024, "Muon: An optimizer for hidden layers in neural networks"; the
// modded-nanogpt speedrun and github.com/KellerJordan/Muon) for the hidden weight matrices, AdamW for
// the embeddings, the LM head and the 1-D params (norm weights, biases), as its MuonWithAuxAdam.
//
// Per hidden matrix W (engine layout [in, out]) and gradient g:
//   buf = lerp(buf, g, 1 - momentum); u = nesterov ? lerp(g, buf, momentum) : buf
//   O = NewtonSchulz5(u)   (quintic, coefficients (3.4445, -4.7750, 2.0315), X / (‖X‖_F + 1e-7) first)
//   W *= 1 - lr·wd;  W -= lr · √max(1, fan_out / fan_in) · O
// The scale is Keller Jordan's max(1, rows/cols)^0.5 on torch's [out, in] weight, i.e. fan_out /
// fan_in. modded-nanogpt runs the iteration in bfloat16; here it runs in float32 (every executor).
// A schedule scales both learning rates alike: at scheduled lr, muon_lr and adam_lr are multiplied
// by lr / (the node's lr), so without a scheduler they apply as set; with one, the node's lr must
// equal the scheduler's (checked), so the schedule peaks at muon_lr and adam_lr.
import { z } from 'zod';
import { defaultDecay, defineOptimizerKind, type ParamInfo } from './define';

/** Params Muon leaves to AdamW though they are matrices: the embeddings and the LM head. */
const ADAM_MATRICES = /(^|\.)(wte|wpe|lm_head)$/;

/**
 * Whether Muon (not AdamW) updates this param: 2-D, and not an embedding or the LM head.
 * @example isHiddenMatrix({ name: 'blocks.0.attn.wq', shape: [64, 64] }) // true
 */
export function isHiddenMatrix(param: ParamInfo): boolean {
  return param.shape.length === 2 && !ADAM_MATRICES.test(param.name);
}

/** The update's scale for a hidden matrix stored [in, out]: √max(1, fan_out / fan_in). */
export function muonScale(shape: readonly number[]): number {
  return Math.sqrt(Math.max(1, shape[1] / shape[0]));
}

const unit = () => z.number().min(0).max(1).lt(1);

export const muon = defineOptimizerKind({
  kind: 'muon',
  order: 60,
  description:
    'Muon: Newton–Schulz-orthogonalised Nesterov momentum for hidden matrices, AdamW for embeddings, head and 1-D params (Keller Jordan, modded-nanogpt).',
  uses: [],
  weightDecay: 'decoupled',
  settings: {
    muon_lr: z.number().positive().max(10).default(0.02).describe('learning rate of the hidden matrices (a schedule scales it by its lr ÷ lr)'),
    muon_momentum: unit().default(0.95).describe('momentum of the hidden matrices'),
    muon_nesterov: z.boolean().default(true).describe('Nesterov momentum for the hidden matrices'),
    ns_steps: z.number().int().min(1).max(20).default(5).describe('Newton–Schulz iterations that orthogonalise the update'),
    adam_lr: z
      .number()
      .positive()
      .max(10)
      .default(3e-3)
      .describe('AdamW learning rate of embeddings, head and 1-D params (a schedule scales it by its lr ÷ lr)'),
    adam_beta1: unit().default(0.9).describe('AdamW first-moment decay'),
    adam_beta2: unit().default(0.95).describe('AdamW second-moment decay'),
    adam_eps: z.number().positive().max(1).default(1e-10).describe('AdamW denominator guard'),
    adam_weight_decay: z.number().min(0).max(10).default(0).describe("AdamW decoupled weight decay (weight_decay is the hidden matrices')"),
  },
  hot: ['muon_lr', 'muon_momentum', 'muon_nesterov', 'ns_steps', 'adam_lr', 'adam_beta1', 'adam_beta2', 'adam_eps', 'adam_weight_decay'],
  // Hidden matrices: weight_decay; the AdamW params: adam_weight_decay, by nanoGPT's rank rule.
  decay: (s, param) => (isHiddenMatrix(param) ? Number(s.weight_decay) : defaultDecay(s, param, 'adam_weight_decay')),
  // The schedule's lr ÷ lr scales both learning rates; unequal peaks would scale them silently.
  check: (s, ctx) => {
    const scheduler = ctx.upstream('lr');
    const peak = scheduler?.kind === 'scheduler' ? scheduler.params.lr : undefined;
    return typeof peak === 'number' && peak !== s.lr
      ? [{ field: 'lr', message: `must equal the scheduler's lr (${peak}) for muon, whose two learning rates the schedule scales by its lr ÷ this lr` }]
      : [];
  },
  slots: (_, param) => (isHiddenMatrix(param) ? ['momentum'] : ['m', 'v']),
  python: {
    className: 'MuonKind',
    source: String.raw`ADAM_MATRICES = re.compile(r"(^|\.)(wte|wpe|lm_head)$")


def is_hidden_matrix(name, p):
    """Muon updates the 2-D params but the embeddings and the LM head; AdamW the rest."""
    return p.dim() == 2 and not ADAM_MATRICES.search(name)


def newton_schulz5(G, steps):
    """Keller Jordan's quintic Newton-Schulz iteration: about U V^T of G's SVD. float32 here
    (modded-nanogpt: bfloat16)."""
    a, b, c = (3.4445, -4.7750, 2.0315)
    tall = G.size(0) > G.size(1)
    X = G.float().T if tall else G.float()
    X = X / (X.norm() + 1e-7)  # spectral norm at most 1
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X.T if tall else X


class Muon(torch.optim.Optimizer):
    """Muon on the groups with use_muon, AdamW (Keller Jordan's adam_update) on the others. Reads the
    live config at every step (an edit needs no retune); group["lr"] is the scheduled lr."""

    def __init__(self, groups, c):
        super().__init__(groups, dict(lr=c["lr"]))
        self.c = c

    @torch.no_grad()
    def step(self, closure=None):
        c = self.c
        for group in self.param_groups:
            factor = group["lr"] / c["lr"]  # a schedule scales both learning rates alike
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["use_muon"]:
                    self.muon_step(p, c["muon_lr"] * factor, c["weight_decay"])
                else:
                    decays = c["decay_norms_and_biases"] or p.dim() >= 2
                    self.adam_step(p, c["adam_lr"] * factor, c["adam_weight_decay"] if decays else 0.0)

    def muon_step(self, p, lr, wd):
        c, g, state = self.c, p.grad, self.state[p]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = torch.zeros_like(p)
        buf = state["momentum_buffer"]
        buf.lerp_(g, 1 - c["muon_momentum"])
        u = g.lerp(buf, c["muon_momentum"]) if c["muon_nesterov"] else buf
        # p is [in, out]: Keller Jordan's max(1, rows/cols)^0.5 on torch's [out, in] is fan_out / fan_in
        scale = max(1, p.size(1) / p.size(0)) ** 0.5
        p.mul_(1 - lr * wd)
        p.add_(newton_schulz5(u, int(c["ns_steps"])), alpha=-lr * scale)

    def adam_step(self, p, lr, wd):
        c, g, state = self.c, p.grad, self.state[p]
        if "step" not in state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t, m, v = float(state["step"]), state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(g, 1 - c["adam_beta1"])
        v.lerp_(g.square(), 1 - c["adam_beta2"])
        update = (m / (1 - c["adam_beta1"] ** t)) / ((v / (1 - c["adam_beta2"] ** t)).sqrt() + c["adam_eps"])
        p.mul_(1 - lr * wd)
        p.add_(update, alpha=-lr)


class MuonKind(Kind):
    """Muon above: the hidden matrices keep a momentum slot (momentum_buffer), the rest AdamW's m, v."""

    def build(self, named):
        hidden = [p for n, p in named if is_hidden_matrix(n, p)]
        rest = [p for n, p in named if not is_hidden_matrix(n, p)]
        groups = [{"params": hidden, "use_muon": True}, {"params": rest, "use_muon": False}]
        return Muon([g for g in groups if g["params"]], self.c)

    def slots(self, name, p):
        if is_hidden_matrix(name, p):
            return [("momentum", "momentum_buffer")]
        return [("m", "exp_avg"), ("v", "exp_avg_sq")]

    def restored(self, p, t, state):
        if "exp_avg" in state:
            state["step"] = torch.tensor(float(t))
        return state

    def retune(self, opt):
        pass  # Muon reads every setting, weight decays included, from the live config at each step
`,
  },
});
