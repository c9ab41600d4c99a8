// data.py of the PyTorch export: token windows, batches, sampling and decoding.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const DATA_PY = String.raw`# Token data and text: .npy ids read in windows through a memory map (files can be many GB),
# batches drawn with the portable Rng exactly as the engine's get_batch and eval nodes draw them,
# the engine's sampling rule (temperature, top-k, one inverse-CDF draw) and token decoding.
import base64
import json
import math
import os

import numpy as np


class TokenSplit:
    """One split of token ids (a 1-D integer .npy), memory-mapped: only the windows read are loaded."""

    def __init__(self, path, field):
        try:
            ids = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError("%s: cannot open %s (%s)" % (field, path, e))
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError("%s: %s must be a 1-D integer array, got %s %s" % (field, path, ids.dtype, list(ids.shape)))
        self.path = path
        self.ids = ids

    def __len__(self):
        return int(self.ids.shape[0])

    def window(self, start, length):
        """ids[start : start + length] as int64."""
        return np.asarray(self.ids[start:start + length], dtype=np.int64)

    def max_id(self):
        """Largest id: from meta.json beside the file when the tokenizer wrote one, else a scan."""
        meta = os.path.join(os.path.dirname(self.path), "meta.json")
        if os.path.exists(meta):
            try:
                with open(meta, "r", encoding="utf-8") as f:
                    value = json.load(f).get("max_id")
                if isinstance(value, int):
                    return value
            except (OSError, ValueError):
                pass  # unreadable meta.json: fall back to scanning
        best = -1
        step = 1 << 22
        for start in range(0, len(self), step):  # in chunks: never the whole file in memory
            best = max(best, int(self.ids[start:start + step].max()))
        return best


def draw_starts(rng, split, batch_size, T):
    """Window starts of one batch: start_b = rng.index(N - T) for b = 0 .. B-1 (engine's get_batch)."""
    windows = len(split) - T
    if windows < 1:
        raise ValueError("%s has %d tokens; context_length %d needs at least %d" % (split.path, len(split), T, T + 1))
    return [rng.index(windows) for _ in range(batch_size)]


def read_batch(split, starts, T):
    """x = ids[s : s+T], y = ids[s+1 : s+T+1] for each start: int64 arrays [len(starts), T]."""
    rows = np.stack([split.window(s, T + 1) for s in starts]) if starts else np.zeros((0, T + 1), np.int64)
    return rows[:, :T], rows[:, 1:]


def sample_from_logits(logits, temperature, top_k, rng):
    """Next token from one row of logits, as engine/model/generate.ts: greedy when temperature <= 0
    or top_k == 1 (no draw); else keep logits >= the k-th largest, weights exp((l - max) / t) in
    float64, and walk the cumulative weights with one uniform draw."""
    logits = np.asarray(logits, dtype=np.float64)
    V = logits.shape[0]
    best = int(np.argmax(logits))  # first index of the maximum, like the engine's scan
    if temperature <= 0 or top_k == 1:
        return best
    threshold = -math.inf
    if 0 < top_k < V:
        threshold = float(np.sort(logits)[::-1][top_k - 1])
    keep = np.nonzero(logits >= threshold)[0]
    weights = np.exp((logits[keep] - logits[best]) / temperature)
    total = 0.0
    for w in weights.tolist():  # summed in index order, as the engine does
        total += w
    u = rng.uniform() * total
    for i, w in zip(keep.tolist(), weights.tolist()):
        if w == 0:
            continue
        u -= w
        if u < 0:
            return i
    return best  # only reachable through float rounding at the very end of the CDF


class Decoder:
    """Token ids -> text for byte, bpe (from its merges) and gpt2 (from a vocabulary file) tokenizers."""

    def __init__(self, tokenizer, base_dir):
        kind = tokenizer.get("kind", "byte") if tokenizer else "byte"
        self.kind = kind
        if kind == "byte":
            self.vocab = [bytes([i]) for i in range(256)]
        elif kind == "bpe":
            self.vocab = [bytes([i]) for i in range(256)]
            for a, b in tokenizer["merges"]:
                self.vocab.append(self.vocab[a] + self.vocab[b])
        elif kind == "gpt2":
            path = tokenizer.get("vocab_path")
            self.vocab = None
            if path:
                with open(os.path.join(base_dir, path), "r", encoding="utf-8") as f:
                    self.vocab = [base64.b64decode(t) for t in json.load(f)]
        else:
            raise ValueError("unknown tokenizer kind %r" % kind)

    def decode(self, ids):
        """Invalid UTF-8 (a sample cut mid-character) becomes U+FFFD, as in the engine."""
        if self.vocab is None:
            return "".join("<%d>" % i for i in ids)  # gpt2 without its vocabulary file: show ids
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")
`;
