# A plain PyTorch GPT for the GPU check (bench/gpu-check.ts via bench/torch_bench.py --model plain):
# the same architecture as the exporter's model.py (pre-norm blocks, RoPE in the rotate_half
# layout, LayerNorm or RMSNorm, GELU or SwiGLU, tied or untied head, no biases) written the way a
# PyTorch user would: nn.Linear layers, one fused q/k/v projection, scaled_dot_product_attention
# where it exists, and the fused AdamW kernel on CUDA. Its step costs the same FLOPs, so the
# exporter's tokens/s against this loop's shows what the exporter's layout costs. Of the
# architecture variants it builds grouped-query attention (n_kv_heads) and head_dim, as the
# llama-style bench row L needs; it refuses the others rather than train a different model.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, width, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def norm_layer(c):
    return nn.LayerNorm(c["d_model"], eps=1e-5) if c["norm"] == "layernorm" else RMSNorm(c["d_model"], 1e-5)


DEFAULTS = {"positions": "rope", "qk_norm": False, "norm_placement": "pre", "norm_learnable": True, "final_norm": True}


def check_supported(c):
    for key, value in DEFAULTS.items():
        if c.get(key, value) != value:
            raise ValueError("plain_gpt.py builds %s = %r only, got %r" % (key, value, c[key]))
    if c["ffn"] not in ("swiglu", "gelu"):
        raise ValueError("plain_gpt.py builds ffn swiglu or gelu only, got %r" % c["ffn"])


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, Fh = c["d_model"], c["d_ff"]
        self.n_heads = c["n_heads"]
        self.n_kv_heads = c.get("n_kv_heads") or c["n_heads"]
        self.hs = c.get("head_dim") or C // c["n_heads"]
        self.swiglu = c["ffn"] == "swiglu"
        self.norm1, self.norm2 = norm_layer(c), norm_layer(c)
        self.qkv = nn.Linear(C, (self.n_heads + 2 * self.n_kv_heads) * self.hs, bias=False)  # q, k, v side by side
        self.proj = nn.Linear(self.n_heads * self.hs, C, bias=False)
        self.up = nn.Linear(C, (2 if self.swiglu else 1) * Fh, bias=False)  # swiglu: w1 and w3 side by side
        self.down = nn.Linear(Fh, C, bias=False)

    def attention(self, x, cos, sin):
        B, T, C = x.shape
        hs, nh, nkv = self.hs, self.n_heads, self.n_kv_heads
        q, k, v = self.qkv(x).view(B, T, nh + 2 * nkv, hs).transpose(1, 2).split([nh, nkv, nkv], dim=1)  # [B, n, T, hs]
        if nkv != nh:  # grouped-query attention: each kv head serves nh / nkv query heads
            k, v = k.repeat_interleave(nh // nkv, dim=1), v.repeat_interleave(nh // nkv, dim=1)
        rot = lambda t: torch.cat([-t[..., hs // 2:], t[..., :hs // 2]], dim=-1)
        q = (q * cos + rot(q) * sin).to(v.dtype)
        k = (k * cos + rot(k) * sin).to(v.dtype)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.x
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            y = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, nh * hs))

    def forward(self, h, cos, sin):
        h = h + self.attention(self.norm1(h), cos, sin)
        u = self.up(self.norm2(h))
        if self.swiglu:
            a, b = u.chunk(2, dim=-1)
            u = F.silu(a) * b
        else:
            u = F.gelu(u, approximate="tanh")
        return h + self.down(u)


class PlainGPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        check_supported(c)
        self.tok = nn.Embedding(c["vocab_size"], c["d_model"])
        self.blocks = nn.ModuleList([Block(c) for _ in range(c["n_layers"])])
        self.norm_f = norm_layer(c)
        self.head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)
        if c["tie_embeddings"]:
            self.head.weight = self.tok.weight
        hs = c.get("head_dim") or c["d_model"] // c["n_heads"]
        inv = c["rope_theta"] ** (-torch.arange(0, hs // 2, dtype=torch.float64) * 2 / hs)
        angle = torch.arange(c["context_length"], dtype=torch.float64)[:, None] * inv[None, :]
        angle = torch.cat([angle, angle], dim=-1)
        self.register_buffer("cos", angle.cos().float(), persistent=False)
        self.register_buffer("sin", angle.sin().float(), persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["n_layers"]) if name.endswith(("proj.weight", "down.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, idx):
        T = idx.shape[1]
        h = self.tok(idx)
        for block in self.blocks:
            h = block(h, self.cos[:T], self.sin[:T])
        return self.head(self.norm_f(h))


def plain_optimizer(model, lr, device):
    """AdamW with weight decay on matrices only (as the engine's grouping), fused on CUDA when offered."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}]
    extra = {"fused": True} if device.type == "cuda" and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames else {}
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8, **extra)
