// model.py of the PyTorch export: the GPT, mirroring engine/model/gpt.ts.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const MODEL_PY = String.raw`# The GPT of Pretrain Studio (engine/model/gpt.ts) in PyTorch: same architecture, same parameter
# names and [in, out] layouts, so checkpoints move between the two executors unchanged.
#
#   wte [V, C]; per block i: blocks.i.norm1.weight [C] (+ .bias for layernorm),
#   blocks.i.attn.wq / wk / wv / wo [C, C], blocks.i.norm2.*, blocks.i.ffn.w1 [C, F],
#   blocks.i.ffn.w2 [F, C] (+ blocks.i.ffn.w3 [C, F] for swiglu); norm_f.*; lm_head [C, V] unless
#   tie_embeddings (then logits = h @ wte^T). Every matrix is applied as x @ W; no biases in linears.
#
# Forward: h = wte[x]; per block (pre-norm) h = h + attn(norm1(h)); h = h + ffn(norm2(h));
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
    n_heads: int  # attention heads; head size hs = d_model / n_heads (even, for RoPE)
    d_ff: int  # hidden width of the feed-forward layer (F)
    rope_theta: float  # RoPE base, e.g. 10000
    norm: str  # 'rmsnorm' or 'layernorm'
    ffn: str  # 'swiglu' or 'gelu'
    tie_embeddings: bool  # logits = h @ wte^T, no lm_head
    norm_eps: float = 1e-5  # epsilon inside the norm's square root


class Norm(nn.Module):
    """RMSNorm x * rsqrt(mean(x^2) + eps) * weight, or LayerNorm (biased variance, eps in the sqrt)."""

    def __init__(self, width, kind, eps):
        super().__init__()
        self.kind = kind
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))
        if kind == "layernorm":
            self.bias = nn.Parameter(torch.zeros(width))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


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


class Attention(nn.Module):
    """Causal self-attention with RoPE: softmax(q k^T / sqrt(hs) + mask) v, heads merged, @ wo."""

    def __init__(self, c):
        super().__init__()
        C = c.d_model
        self.n_heads = c.n_heads
        self.wq = nn.Parameter(torch.empty(C, C))
        self.wk = nn.Parameter(torch.empty(C, C))
        self.wv = nn.Parameter(torch.empty(C, C))
        self.wo = nn.Parameter(torch.empty(C, C))

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        nh, hs = self.n_heads, C // self.n_heads
        heads = lambda w: (x @ w).view(B, T, nh, hs).transpose(1, 2)  # [B, T, C] -> [B, nH, T, hs]
        q, k, v = heads(self.wq), heads(self.wk), heads(self.wv)
        q = q * cos + rotate_half(q) * sin  # cos, sin [T, hs] broadcast over [B, nH]
        k = k * cos + rotate_half(k) * sin
        q, k = q.to(v.dtype), k.to(v.dtype)  # under bf16 autocast the float32 tables promoted q and k
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch >= 2.0: flash / memory-efficient kernels
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # [B, nH, T, T]
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            y = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v  # [B, nH, T, hs]
        y = y.transpose(1, 2).reshape(B, T, C)  # heads merged: [B, nH, T, hs] -> [B, T, C]
        return y @ self.wo


class FeedForward(nn.Module):
    """swiglu: (silu(x @ w1) * (x @ w3)) @ w2; gelu: gelu_tanh(x @ w1) @ w2."""

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
        else:
            h = F.gelu(x @ self.w1, approximate="tanh")
        return h @ self.w2  # [B, T, F] -> [B, T, C]


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1 = Norm(c.d_model, c.norm, c.norm_eps)
        self.attn = Attention(c)
        self.norm2 = Norm(c.d_model, c.norm, c.norm_eps)
        self.ffn = FeedForward(c)

    def forward(self, h, cos, sin):
        h = h + self.attn(self.norm1(h), cos, sin)
        return h + self.ffn(self.norm2(h))


class GPT(nn.Module):
    """Token ids [B, T] -> logits [B, T, V]. state_dict() keys are the engine's parameter names."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.wte = nn.Parameter(torch.empty(c.vocab_size, c.d_model))
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.norm_f = Norm(c.d_model, c.norm, c.norm_eps)
        if not c.tie_embeddings:
            self.lm_head = nn.Parameter(torch.empty(c.d_model, c.vocab_size))
        cos, sin = rope_tables(c.context_length, c.d_model // c.n_heads, c.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)  # [T, hs]; not part of checkpoints
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, idx):
        B, T = idx.shape
        if T > self.config.context_length:
            raise ValueError("sequence length %d exceeds context_length %d" % (T, self.config.context_length))
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        h = self.wte[idx]  # [B, T] -> [B, T, C]
        for block in self.blocks:
            h = block(h, cos, sin)
        h = self.norm_f(h)
        head = self.wte.t() if self.config.tie_embeddings else self.lm_head  # [C, V]
        return h @ head  # [B, T, V]

    def ordered_parameters(self):
        """[(name, param)] in the engine's canonical order (named_parameters() lists lm_head before the
        blocks); checkpoints and the optimizer state use this order."""
        params = dict(self.named_parameters())
        return [(name, params[name]) for name, _ in param_specs(self.config)]


def param_specs(c):
    """(name, init) in the engine's canonical order; init is normal, residual, ones or zeros."""
    specs = [("wte", "normal")]

    def norm(prefix):
        specs.append((prefix + ".weight", "ones"))
        if c.norm == "layernorm":
            specs.append((prefix + ".bias", "zeros"))

    for i in range(c.n_layers):
        b = "blocks.%d" % i
        norm(b + ".norm1")
        for m in ("wq", "wk", "wv"):
            specs.append(("%s.attn.%s" % (b, m), "normal"))
        specs.append((b + ".attn.wo", "residual"))
        norm(b + ".norm2")
        specs.append((b + ".ffn.w1", "normal"))
        specs.append((b + ".ffn.w2", "residual"))
        if c.ffn == "swiglu":
            specs.append((b + ".ffn.w3", "normal"))
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
