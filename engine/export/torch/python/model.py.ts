// model.py of the PyTorch export: the GPT, mirroring engine/model/gpt.ts.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const MODEL_PY = String.raw`# The GPT of Pretrain Studio (engine/model/gpt.ts) in PyTorch: same architecture, same parameter
# names and [in, out] layouts, so checkpoints move between the two executors unchanged.
# One class per part of the model as the studio draws it: Positions, Norm, Attention, FeedForward,
# Residual, Block, and GPT, which owns the token embedding (wte), learned positions (wpe) and the head
# (lm_head) itself, because those names are what checkpoints store. Tap modules (no parameters) mark
# those three outputs for the inside view (insides.py), which hooks the modules on due steps only.
#
#   hs = head_dim, nKv = n_kv_heads. wte [V, C]; wpe [T, C] (learned positions); per block i:
#   blocks.i.norm1.weight [C] (+ .bias for layernorm), blocks.i.attn.wq [C, nH*hs], wk / wv
#   [C, nKv*hs], wo [nH*hs, C], blocks.i.attn.q_norm.weight / k_norm.weight [hs] (qk_norm),
#   blocks.i.norm2.*, blocks.i.ffn.w1 [C, F], blocks.i.ffn.w2 [F, C] (+ blocks.i.ffn.w3 [C, F] for
#   swiglu); norm_f.*; lm_head [C, V] unless tie_embeddings (then logits = h @ wte^T). Norms have no
#   parameters when norm_learnable is false; norm_placement 'none' has no norm1 / norm2 and
#   final_norm false no norm_f. Every matrix is applied as x @ W; no biases in linears.
#
# Forward: h = wte[x] (+ wpe[:T]); per block
#   pre-norm:  h = h + attn(norm1(h)); h = h + ffn(norm2(h))
#   post-norm: h = norm1(h + attn(h)); h = norm2(h + ffn(h))
#   none:      h = h + attn(h);        h = h + ffn(h)
# logits = norm_f(h) @ lm_head. RoPE on q and k in the half-split ("rotate_half") layout.
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from rng import Rng

INIT_STD = 0.02


@dataclass
class GPTConfig:
    vocab_size: int  # tokens in the vocabulary (V)
    context_length: int  # longest sequence in tokens (T)
    d_model: int  # residual stream width (C)
    n_layers: int  # transformer blocks
    n_heads: int  # attention (query) heads
    d_ff: int  # hidden width of the feed-forward layer (F)
    rope_theta: float  # RoPE base, e.g. 10000
    norm: str  # 'rmsnorm' or 'layernorm'
    ffn: str  # 'swiglu', 'gelu' or 'relu2'
    tie_embeddings: bool  # logits = h @ wte^T, no lm_head
    norm_eps: float = 1e-5  # epsilon inside the norm's square root
    positions: str = "rope"  # 'rope', 'learned' (wpe) or 'none'
    n_kv_heads: "int | None" = None  # key/value heads, dividing n_heads (GQA; 1 is MQA); None: n_heads
    head_dim: "int | None" = None  # width of one head (hs); None: d_model / n_heads
    qk_norm: bool = False  # RMSNorm on every q and k head before RoPE
    norm_placement: str = "pre"  # 'pre', 'post' or 'none'
    norm_learnable: bool = True  # norms carry weight (and layernorm bias)
    final_norm: bool = True  # norm_f before the head

    def __post_init__(self):
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.head_dim is None:
            self.head_dim = self.d_model // self.n_heads


class Norm(nn.Module):
    """RMSNorm x * rsqrt(mean(x^2) + eps) * weight, or LayerNorm (biased variance, eps in the sqrt);
    without learnable parameters the weight is 1 and the bias 0."""

    def __init__(self, width, kind, eps, learnable=True):
        super().__init__()
        self.kind = kind
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width)) if learnable else None
        self.bias = nn.Parameter(torch.zeros(width)) if learnable and kind == "layernorm" else None

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return y if self.weight is None else y * self.weight


def rope_tables(T, hs, theta):
    """cos, sin [T, hs]: angle = pos * theta^(-2j/hs) for j = c mod hs/2; float64, rounded once."""
    half = hs // 2
    inv_freq = torch.pow(torch.tensor(float(theta), dtype=torch.float64), -2.0 * torch.arange(half, dtype=torch.float64) / hs)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [T, hs/2]
    angle = torch.cat([angle, angle], dim=-1)  # [T, hs]: both halves share the frequencies
    return angle.cos().float(), angle.sin().float()


def rotate_half(x):
    """concat(-x[..., hs/2:], x[..., :hs/2])."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


class Positions(nn.Module):
    """How the model knows token order. 'rope': rotates q and k in attention (tables here, no
    parameters); 'learned': GPT adds wpe[:T] to the embedding; 'none': nothing (causal masking alone)."""

    def __init__(self, c):
        super().__init__()
        self.rope = c.positions == "rope"
        if self.rope:
            cos, sin = rope_tables(c.context_length, c.head_dim, c.rope_theta)
            self.register_buffer("cos", cos, persistent=False)  # [T, hs]; not part of checkpoints
            self.register_buffer("sin", sin, persistent=False)

    def tables(self, T):
        """(cos, sin) [T, hs] for attention, or None without RoPE."""
        return (self.cos[:T], self.sin[:T]) if self.rope else None


def causal_weights(q, k):
    """softmax(q k^T / sqrt(hs)) with the future masked: [B, nH, T, T]."""
    T = q.shape[-2]
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(causal, float("-inf")).softmax(-1)


def mean_row_entropy(weights):
    """Mean over batch, heads and queries of -sum_j p_j ln p_j (nats; 0 ln 0 = 0 where the mask zeroes p)."""
    return torch.special.entr(weights.float()).sum(-1).mean()


class Attention(nn.Module):
    """Causal self-attention: softmax(q k^T / sqrt(hs) + mask) v, heads merged, @ wo. n_heads query
    heads share n_kv_heads key/value heads (query head h reads kv head h // (n_heads / n_kv_heads));
    optional QK-norm, then RoPE on q and k."""

    def __init__(self, c):
        super().__init__()
        C, hs = c.d_model, c.head_dim
        self.n_heads, self.n_kv_heads, self.hs = c.n_heads, c.n_kv_heads, hs
        self.wq = nn.Parameter(torch.empty(C, c.n_heads * hs))
        self.wk = nn.Parameter(torch.empty(C, c.n_kv_heads * hs))
        self.wv = nn.Parameter(torch.empty(C, c.n_kv_heads * hs))
        self.wo = nn.Parameter(torch.empty(c.n_heads * hs, C))
        if c.qk_norm:
            self.q_norm = Norm(hs, "rmsnorm", c.norm_eps)
            self.k_norm = Norm(hs, "rmsnorm", c.norm_eps)
        else:
            self.q_norm = self.k_norm = None
        # Set by the inside view for one forward: the mean entropy of the attention weights' rows is
        # kept in 'entropy' (a float32 scalar tensor).
        self.measure_entropy = False
        self.entropy = None

    def forward(self, x, rope):
        B, T, C = x.shape
        hs = self.hs
        heads = lambda w, n: (x @ w).view(B, T, n, hs).transpose(1, 2)  # [B, T, C] -> [B, n, T, hs]
        q, k, v = heads(self.wq, self.n_heads), heads(self.wk, self.n_kv_heads), heads(self.wv, self.n_kv_heads)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            cos, sin = rope  # [T, hs], broadcast over [B, n]
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        q, k = q.to(v.dtype), k.to(v.dtype)  # under bf16 autocast the float32 tables promoted q and k
        group = self.n_heads // self.n_kv_heads
        if group > 1:  # every kv head serves 'group' consecutive query heads: [B, nKv, T, hs] -> [B, nH, T, hs]
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch >= 2.0: flash / memory-efficient kernels
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            if self.measure_entropy:  # the fused kernel keeps its weights: computed again, outside autograd
                with torch.no_grad():
                    self.entropy = mean_row_entropy(causal_weights(q, k))
        else:
            weights = causal_weights(q, k)
            if self.measure_entropy:
                self.entropy = mean_row_entropy(weights.detach())
            y = weights @ v  # [B, nH, T, hs]
        y = y.transpose(1, 2).reshape(B, T, self.n_heads * hs)  # heads merged: [B, nH, T, hs] -> [B, T, nH*hs]
        return y @ self.wo


class FeedForward(nn.Module):
    """swiglu: (silu(x @ w1) * (x @ w3)) @ w2; gelu: gelu_tanh(x @ w1) @ w2; relu2: relu(x @ w1)^2 @ w2."""

    def __init__(self, c):
        super().__init__()
        self.kind = c.ffn
        self.w1 = nn.Parameter(torch.empty(c.d_model, c.d_ff))
        self.w2 = nn.Parameter(torch.empty(c.d_ff, c.d_model))
        if c.ffn == "swiglu":
            self.w3 = nn.Parameter(torch.empty(c.d_model, c.d_ff))

    def forward(self, x):
        if self.kind == "swiglu":
            h = F.silu(x @ self.w1) * (x @ self.w3)  # [B, T, F]
        elif self.kind == "relu2":
            h = F.relu(x @ self.w1).square()
        elif self.kind == "gelu":
            h = F.gelu(x @ self.w1, approximate="tanh")
        else:
            raise ValueError("unknown ffn %r" % self.kind)
        return h @ self.w2  # [B, T, F] -> [B, T, C]


class Residual(nn.Module):
    """The residual add: the stream plus a branch's output (a module so the inside view can hook it)."""

    def forward(self, h, branch):
        return h + branch


class Tap(nn.Module):
    """Passes a tensor through unchanged: marks an output GPT computes itself (token rows, learned
    positions, logits) for the inside view's hooks."""

    def forward(self, x):
        return x


class Block(nn.Module):
    """Attention and feed-forward, each added to the residual stream, with the norms where
    norm_placement puts them."""

    def __init__(self, c):
        super().__init__()
        self.placement = c.norm_placement
        with_norms = c.norm_placement != "none"
        self.norm1 = Norm(c.d_model, c.norm, c.norm_eps, c.norm_learnable) if with_norms else None
        self.attn = Attention(c)
        self.res1 = Residual()
        self.norm2 = Norm(c.d_model, c.norm, c.norm_eps, c.norm_learnable) if with_norms else None
        self.ffn = FeedForward(c)
        self.res2 = Residual()

    def forward(self, h, rope):
        if self.placement == "pre":
            h = self.res1(h, self.attn(self.norm1(h), rope))
            return self.res2(h, self.ffn(self.norm2(h)))
        if self.placement == "post":
            h = self.norm1(self.res1(h, self.attn(h, rope)))
            return self.norm2(self.res2(h, self.ffn(h)))
        h = self.res1(h, self.attn(h, rope))
        return self.res2(h, self.ffn(h))


class GPT(nn.Module):
    """Token ids [B, T] -> logits [B, T, V]. state_dict() keys are the engine's parameter names."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.wte = nn.Parameter(torch.empty(c.vocab_size, c.d_model))  # token embedding
        if c.positions == "learned":
            self.wpe = nn.Parameter(torch.empty(c.context_length, c.d_model))  # learned positions
        self.positions = Positions(c)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.norm_f = Norm(c.d_model, c.norm, c.norm_eps, c.norm_learnable) if c.final_norm else None
        if not c.tie_embeddings:
            self.lm_head = nn.Parameter(torch.empty(c.d_model, c.vocab_size))  # untied head
        # The outputs of the token embedding, the learned positions and the head, by inner node id.
        self.taps = nn.ModuleDict({role: Tap() for role in ("wte", "wpe", "lm_head") if role != "wpe" or c.positions == "learned"})

    def forward(self, idx):
        B, T = idx.shape
        if T > self.config.context_length:
            raise ValueError("sequence length %d exceeds context_length %d" % (T, self.config.context_length))
        h = self.taps["wte"](self.wte[idx])  # [B, T] -> [B, T, C]
        if self.config.positions == "learned":
            h = h + self.taps["wpe"](self.wpe[:T])  # [T, C] broadcast over B
        rope = self.positions.tables(T)
        for block in self.blocks:
            h = block(h, rope)
        if self.norm_f is not None:
            h = self.norm_f(h)
        head = self.wte.t() if self.config.tie_embeddings else self.lm_head  # [C, V]
        return self.taps["lm_head"](h @ head)  # [B, T, V]

    def ordered_parameters(self):
        """[(name, param)] in the engine's canonical order (named_parameters() lists lm_head before the
        blocks); checkpoints and the optimizer state use this order."""
        params = dict(self.named_parameters())
        return [(name, params[name]) for name, _ in param_specs(self.config)]


def param_specs(c):
    """(name, init) in the engine's canonical order (engine/model/param-specs.ts); init is normal,
    residual, ones or zeros."""
    specs = [("wte", "normal")]
    if c.positions == "learned":
        specs.append(("wpe", "normal"))

    def norm(prefix):
        if not c.norm_learnable:
            return
        specs.append((prefix + ".weight", "ones"))
        if c.norm == "layernorm":
            specs.append((prefix + ".bias", "zeros"))

    for i in range(c.n_layers):
        b = "blocks.%d" % i
        if c.norm_placement != "none":
            norm(b + ".norm1")
        for m in ("wq", "wk", "wv"):
            specs.append(("%s.attn.%s" % (b, m), "normal"))
        specs.append((b + ".attn.wo", "residual"))
        if c.qk_norm:
            specs += [(b + ".attn.q_norm.weight", "ones"), (b + ".attn.k_norm.weight", "ones")]
        if c.norm_placement != "none":
            norm(b + ".norm2")
        specs.append((b + ".ffn.w1", "normal"))
        specs.append((b + ".ffn.w2", "residual"))
        if c.ffn == "swiglu":
            specs.append((b + ".ffn.w3", "normal"))
    if c.final_norm:
        norm("norm_f")
    if not c.tie_embeddings:
        specs.append(("lm_head", "normal"))
    return specs


@torch.no_grad()
def init_parameters(model, seed, portable=False):
    """Initial weights: N(0, 0.02^2), wo and w2 with std 0.02 / sqrt(2 * n_layers), norms 1 / 0.

    portable=True draws from the engine's Rng(seed) in the engine's order, so the weights equal the
    engine's (up to the last bit of log/cos); it runs in pure Python, about a second per million
    weights. Otherwise torch's generator seeded with 'seed': the same distributions, other values.
    """
    c = model.config
    params = dict(model.ordered_parameters())
    residual_std = INIT_STD / math.sqrt(2 * c.n_layers)
    rng = Rng(seed) if portable else None
    gen = None if portable else torch.Generator().manual_seed(int(seed))
    for name, kind in param_specs(c):
        p = params[name]
        if kind in ("ones", "zeros"):
            p.fill_(1.0 if kind == "ones" else 0.0)
            continue
        std = INIT_STD if kind == "normal" else residual_std
        if portable:
            values = [rng.normal() * std for _ in range(p.numel())]  # row-major over the [in, out] layout
            p.copy_(torch.tensor(values, dtype=torch.float64).view(p.shape))
        else:
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std)


def load_weights(model, tensors):
    """Copies 'tensors' (name -> array or tensor) into the model; checks every name and shape first."""
    problems = []
    params = dict(model.named_parameters())
    for name, p in params.items():
        if name not in tensors:
            problems.append("missing parameter %s %s" % (name, list(p.shape)))
        elif list(tensors[name].shape) != list(p.shape):
            problems.append("shape mismatch for %s: expected %s, got %s" % (name, list(p.shape), list(tensors[name].shape)))
    for name in tensors:
        if name not in params:
            problems.append("unexpected parameter %s" % name)
    if problems:
        raise ValueError("cannot load weights: " + "; ".join(problems))
    with torch.no_grad():
        for name, p in params.items():
            value = tensors[name]
            if not isinstance(value, torch.Tensor):
                value = torch.from_numpy(value.copy())
            p.copy_(value.to(dtype=p.dtype))
`;
