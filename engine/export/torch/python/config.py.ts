// config.py of the PyTorch export: the checks of config.json.
// Verbatim in a raw string (so no backticks or ${ inside, apart from the kinds, the optimizer
// section and inspect_every, which come from the node schemas and the model config); it holds no user values (see ../export.ts).
import { z } from 'zod';
import { FFN_KINDS, NORM_PLACEMENTS, POSITIONS_KINDS } from '../../../model/config';
import { DEFAULT_INSPECT_EVERY } from '../../../model-graph/insides';
import { model } from '../../../nodes/model';
import { optimizer } from '../../../nodes/optimizer';
import { SCHEDULE_KINDS } from '../../../nodes/scheduler';

/** Python string literals: ["a", "b"] -> '"a", "b"'. */
const pyStrings = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** A bound as a Python literal; past 2^53 (zod's "any integer") none. */
const pyBound = (value: unknown, none: string) => (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER ? String(value) : none);

/**
 * config.py's check of one param, from its zod schema: choices, true/false, or a number's range.
 * @example pyCheck(z.number().positive().max(10)) // 'number(0, 10, lo_open=True)'
 */
export function pyCheck(schema: z.ZodType, key: string): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  if (Array.isArray(json.enum)) return `one_of(${pyStrings(json.enum as string[])})`;
  if (json.type === 'boolean') return 'boolean';
  if (json.type === 'integer') return `integer(${pyBound(json.minimum, '-BIG')}, ${pyBound(json.maximum, 'BIG')})`;
  if (json.type === 'number') {
    const loOpen = typeof json.exclusiveMinimum === 'number';
    const hiOpen = typeof json.exclusiveMaximum === 'number';
    const lo = pyBound(loOpen ? json.exclusiveMinimum : json.minimum, '-1e308');
    const hi = pyBound(hiOpen ? json.exclusiveMaximum : json.maximum, '1e308');
    return `number(${lo}, ${hi}${loOpen ? ', lo_open=True' : ''}${hiOpen ? ', hi_open=True' : ''})`;
  }
  throw new Error(`config.py: no check for a ${String(json.type)} param (${key})`);
}

/** A config.json section's checks from a node's params schema, wrapped like the hand-written ones. */
function pySection(schema: z.ZodObject): string {
  const entries = [
    '"node_id": node_id',
    ...Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, s]) => `${JSON.stringify(key)}: ${pyCheck(s, key)}`),
  ];
  const lines: string[] = [];
  for (const entry of entries) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + entry.length < 100) lines[last] += ` ${entry},`;
    else lines.push(`        ${entry},`);
  }
  return `section({\n${lines.join('\n')}\n    })`;
}

export const CONFIG_PY = String.raw`# config.json: every value of the exported pipeline. The Python sources contain no user values;
# this file is the only thing that differs between exports, so it is checked field by field on
# load (types, ranges, unknown keys) and a bad value stops the run with a message naming it.
import json
import math
import re

FORMAT = "pretrain-studio-torch"
# 2: the model section names its architecture variants (1 is read as today's GPT);
# 3: model.inspect_every, the steps between inside views (absent in 2: the default, 20)
VERSION = 3
DEFAULT_INSPECT_EVERY = ${DEFAULT_INSPECT_EVERY}
NODE_ID = re.compile(r"^[A-Za-z0-9_.#:>-]{1,64}$")
U32_MAX = 2 ** 32 - 1
BIG = 2 ** 53 - 1


class ConfigError(ValueError):
    """A config.json value is missing, of the wrong type or out of range; the message names it."""


def _show(v):
    text = json.dumps(v, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(path, message):
    raise ConfigError("config.json: %s %s" % (path, message))


def integer(lo, hi):
    def check(v, path):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            _fail(path, "must be an integer in [%d, %d], got %s" % (lo, hi, _show(v)))
        return v
    return check


def number(lo, hi, lo_open=False, hi_open=False):
    def check(v, path):
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
        ok = ok and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if not ok:
            _fail(path, "must be a number in %s%s, %s%s, got %s" % ("(" if lo_open else "[", lo, hi, ")" if hi_open else "]", _show(v)))
        return float(v)
    return check


def boolean(v, path):
    if not isinstance(v, bool):
        _fail(path, "must be true or false, got %s" % _show(v))
    return v


def string(max_len, nonempty=False):
    def check(v, path):
        if not isinstance(v, str) or len(v) > max_len or (nonempty and not v):
            _fail(path, "must be a%s string of at most %d characters, got %s" % (" non-empty" if nonempty else "", max_len, _show(v)))
        return v
    return check


def one_of(*choices):
    def check(v, path):
        if v not in choices:
            _fail(path, "must be one of %s, got %s" % (", ".join(choices), _show(v)))
        return v
    return check


def node_id(v, path):
    if not isinstance(v, str) or not NODE_ID.match(v):
        _fail(path, "must be a node id (letters, digits and _ . # : > -, up to 64), got %s" % _show(v))
    return v


def any_object(v, path):
    if not isinstance(v, dict):
        _fail(path, "must be an object, got %s" % _show(v))
    return v


def section(fields, nullable=False):
    """A nested object with exactly these keys, each checked; None allowed when nullable."""
    def check(v, path):
        if v is None and nullable:
            return None
        if not isinstance(v, dict):
            _fail(path, "must be an object%s, got %s" % (" or null" if nullable else "", _show(v)))
        for key in v:
            if key not in fields:
                _fail("%s.%s" % (path, key) if path else key, "is not a known field")
        out = {}
        for key, check_field in fields.items():
            sub = "%s.%s" % (path, key) if path else key
            if key not in v:
                _fail(sub, "is missing")
            out[key] = check_field(v[key], sub)
        return out
    return check


def list_of(check_item, min_len=0, max_len=BIG):
    def check(v, path):
        if not isinstance(v, list) or not min_len <= len(v) <= max_len:
            _fail(path, "must be a list of %d to %d items" % (min_len, max_len))
        return [check_item(x, "%s[%d]" % (path, i)) for i, x in enumerate(v)]
    return check


def tokenizer(v, path):
    """null (bytes), {kind: byte}, {kind: bpe, merges: [[a, b], ...]} or {kind: gpt2, vocab_path}."""
    if v is None:
        return None
    if not isinstance(v, dict):
        _fail(path, "must be an object or null, got %s" % _show(v))
    k = v.get("kind")
    if k == "byte":
        return section({"kind": one_of("byte")})(v, path)
    if k == "bpe":
        t = section({"kind": one_of("bpe"), "merges": list_of(list_of(integer(0, 2 ** 20), 2, 2))})(v, path)
        for i, (a, b) in enumerate(t["merges"]):
            if a >= 256 + i or b >= 256 + i:
                _fail("%s.merges[%d]" % (path, i), "refers to an id that does not exist yet")
        return t
    if k == "gpt2":
        return section({"kind": one_of("gpt2"), "vocab_path": lambda x, p: None if x is None else string(4096, True)(x, p)})(v, path)
    _fail(path + ".kind", "must be one of byte, bpe, gpt2, got %s" % _show(k))


SEED = integer(0, U32_MAX)
EVERY = integer(1, BIG)
SCHEMA = section({
    "format": one_of(FORMAT),
    "version": integer(VERSION, VERSION),  # older versions are migrated first (migrate)
    "name": string(10000),
    "total_steps": integer(1, 10 ** 8),
    "seed": SEED,
    "model": section({
        "node_id": node_id, "vocab_size": integer(2, 1000000), "context_length": integer(1, 65536),
        "d_model": integer(1, 16384), "n_layers": integer(1, 256), "n_heads": integer(1, 256), "d_ff": integer(1, 65536),
        "rope_theta": number(1, 1e9, lo_open=True), "norm": one_of("rmsnorm", "layernorm"), "ffn": one_of(${pyStrings(FFN_KINDS)}),
        "tie_embeddings": boolean, "norm_eps": number(0, 1, lo_open=True), "positions": one_of(${pyStrings(POSITIONS_KINDS)}),
        "n_kv_heads": integer(1, 256), "head_dim": integer(1, 4096), "qk_norm": boolean,
        "norm_placement": one_of(${pyStrings(NORM_PLACEMENTS)}), "norm_learnable": boolean, "final_norm": boolean,
        "inspect_every": ${pyCheck(model.params.shape.inspect_every, 'inspect_every')},
    }),
    "data": section({"node_id": node_id, "train_path": string(4096, True), "valid_path": string(4096, True)}),
    "batch": section({
        "node_id": node_id, "split": one_of("train", "valid"), "batch_size": integer(1, 4096),
        "context_length": integer(1, 65536), "seed": SEED,
    }),
    "loss": section({"node_id": node_id}),
    "backward": section({"node_id": node_id, "grad_accum_steps": integer(1, 1024)}),
    "clip": section({"node_id": node_id, "max_norm": number(0, 1e6)}, nullable=True),
    "optimizer": ${pySection(optimizer.params)},
    "schedule": section({
        "node_id": node_id, "kind": one_of(${pyStrings(SCHEDULE_KINDS)}), "lr": number(0, 10, lo_open=True),
        "min_lr": number(0, 10), "warmup_steps": integer(0, BIG), "decay_steps": integer(0, BIG), "step_size": integer(1, BIG),
        "gamma": number(0, 1, lo_open=True), "decay_fraction": number(0, 1),
    }, nullable=True),
    "eval": section({
        "node_id": node_id, "split": one_of("train", "valid"), "every": EVERY, "batches": integer(1, 10000),
        "batch_size": integer(1, 4096), "context_length": integer(1, 65536), "seed": SEED, "after_update": boolean,
    }, nullable=True),
    "checkpoint": section({"node_id": node_id, "every": EVERY, "keep_last": integer(1, 1000), "at_end": boolean}, nullable=True),
    "log": section({"node_id": node_id, "every": EVERY}, nullable=True),
    "sample": section({
        "node_id": node_id, "every": EVERY, "prompt": string(2000), "prompt_ids": list_of(integer(0, 1000000), 1, 100000),
        "max_new_tokens": integer(1, 4096), "temperature": number(0, 10, lo_open=True), "top_k": integer(0, 1000000),
        "seed": SEED, "after_update": boolean, "tokenizer": tokenizer,
    }, nullable=True),
    "pipeline": any_object,
})


def migrate(raw):
    """An older config.json as this version: version 1 (no architecture variants) gets today's GPT
    spelled out, version 2 (no inside view setting) the default inspect_every."""
    if not isinstance(raw, dict) or raw.get("version") not in (1, 2) or not isinstance(raw.get("model"), dict):
        return raw
    m = dict(raw["model"])
    if raw["version"] == 1:
        heads, width = m.get("n_heads"), m.get("d_model")
        head_dim = width // heads if isinstance(heads, int) and isinstance(width, int) and heads > 0 else None
        for key, value in (("positions", "rope"), ("n_kv_heads", heads), ("head_dim", head_dim), ("qk_norm", False),
                           ("norm_placement", "pre"), ("norm_learnable", True), ("final_norm", True)):
            m.setdefault(key, value)
    m.setdefault("inspect_every", DEFAULT_INSPECT_EVERY)
    return dict(raw, version=VERSION, model=m)


def check_heads(m):
    """Head counts and widths: kv heads divide query heads, RoPE needs an even head."""
    if m["n_heads"] % m["n_kv_heads"] != 0:
        _fail("model.n_kv_heads", "(%d) must divide model.n_heads (%d)" % (m["n_kv_heads"], m["n_heads"]))
    if m["positions"] == "rope" and m["head_dim"] % 2 != 0:
        _fail("model.head_dim", "is %d, which must be even (RoPE rotates pairs)" % m["head_dim"])


def validate(raw):
    """The checked config (a dict) from parsed JSON; raises ConfigError naming the first bad field."""
    c = SCHEMA(migrate(raw), "")
    m = c["model"]
    check_heads(m)
    for key in ("batch", "eval"):
        if c[key] and c[key]["context_length"] > m["context_length"]:
            _fail(key + ".context_length", "(%d) exceeds model.context_length (%d)" % (c[key]["context_length"], m["context_length"]))
    o = c["optimizer"]
    if o["kind"] == "sgd" and o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0):
        _fail("optimizer.nesterov", "needs optimizer.momentum > 0 and optimizer.dampening 0")
    if c["sample"]:
        for i, t in enumerate(c["sample"]["prompt_ids"]):
            if t >= m["vocab_size"]:
                _fail("sample.prompt_ids[%d]" % i, "(%d) is outside the model's vocabulary (%d)" % (t, m["vocab_size"]))
    return c


def load(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise ConfigError("cannot read %s (%s)" % (path, e.strerror or e))
    except ValueError as e:
        raise ConfigError("%s is not valid JSON (%s)" % (path, e))
    return validate(raw)
`;
