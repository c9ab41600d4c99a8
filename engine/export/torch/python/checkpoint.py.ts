// checkpoint.py of the PyTorch export: safetensors checkpoints in the engine's layout.
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const CHECKPOINT_PY = String.raw`# Checkpoints in Pretrain Studio's layout (docs/plan-format.md, "Checkpoints"): ckpt-NNNNNN.safetensors
# (weights under their parameter names, optimizer state as optim.*) plus ckpt-NNNNNN.json (run
# metadata, written last: it marks the checkpoint complete). Each file is written to a temporary
# name, fsynced and renamed, so a crash never leaves a half-written checkpoint.
# The safetensors format (https://github.com/huggingface/safetensors) is small enough to implement
# here with numpy, struct and json, so the export needs no package beyond torch and numpy.
import json
import os
import re
import secrets
import struct

import numpy as np

# dtype name -> numpy dtype (little-endian). BF16 has no numpy type: read as uint16, widened below.
DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
NUMPY_TO_ST = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}
MAX_HEADER_BYTES = 100_000_000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


def encode_safetensors(tensors, metadata=None):
    """[(name, np.ndarray)] -> bytes. The header keeps the given order; in the buffer, wider items
    come first so every tensor is aligned to its item size; the header is padded to 8 bytes."""
    arrays = []
    for name, a in tensors:
        a = np.asarray(a, order="C")  # (np.ascontiguousarray would make scalars 1-D)
        if a.dtype not in NUMPY_TO_ST:
            raise ValueError("tensor %r: dtype %s cannot be saved (use float32 or int32)" % (name, a.dtype))
        arrays.append((name, a.astype(a.dtype.newbyteorder("<"), copy=False)))
    layout = sorted(range(len(arrays)), key=lambda i: -arrays[i][1].dtype.itemsize)  # stable
    offsets, at = {}, 0
    for i in layout:
        offsets[i] = (at, at + arrays[i][1].nbytes)
        at += arrays[i][1].nbytes
    header = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for i, (name, a) in enumerate(arrays):
        header[name] = {"dtype": NUMPY_TO_ST[a.dtype.newbyteorder("=")], "shape": list(a.shape), "data_offsets": list(offsets[i])}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + [arrays[i][1].tobytes() for i in layout])


def decode_safetensors(data, name="checkpoint"):
    """bytes -> ({name: np.ndarray}, metadata); BF16/F16 become float32. Rejects malformed files."""
    def bad(msg):
        return ValueError("%s: %s" % (name, msg))

    if len(data) < 8:
        raise bad("file is %d bytes, too short for a safetensors header" % len(data))
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        raise bad("header length %d exceeds the %d-byte limit" % (n, MAX_HEADER_BYTES))
    if 8 + n > len(data):
        raise bad("header length %d runs past the end of the file (%d bytes)" % (n, len(data)))
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("header is not valid UTF-8 JSON")
    if not isinstance(header, dict):
        raise bad("header must be a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    buffer = memoryview(data)[8 + n:]
    out = {}
    for key, info in header.items():
        if not isinstance(info, dict) or info.get("dtype") not in DTYPES:
            raise bad("tensor %r: unknown dtype %r" % (key, info.get("dtype") if isinstance(info, dict) else None))
        dtype = DTYPES[info["dtype"]]
        shape, offs = info.get("shape"), info.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise bad("tensor %r: shape %r must be a list of non-negative integers" % (key, shape))
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) for o in offs) and 0 <= offs[0] <= offs[1] <= len(buffer)):
            raise bad("tensor %r: data_offsets %r run past the %d-byte data buffer" % (key, offs, len(buffer)))
        count = int(np.prod(shape)) if shape else 1
        if count * dtype.itemsize != offs[1] - offs[0]:
            raise bad("tensor %r: data_offsets %r do not fit shape %r of %s" % (key, offs, shape, info["dtype"]))
        a = np.frombuffer(buffer[offs[0]:offs[1]], dtype=dtype).reshape(shape)
        if info["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] == "F16":
            a = a.astype(np.float32)
        out[key] = a
    return out, metadata


def read_bytes(path):
    """The file as a writable buffer, so arrays decoded from it are writable views (no copy)."""
    data = bytearray(os.path.getsize(path))
    with open(path, "rb") as f:
        f.readinto(data)
    return data


def fsync_dir(path):
    """Makes renames inside the folder durable; some platforms cannot open a directory (fine there)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_durable(path, data):
    """Creates the file (it must not exist), writes the bytes, fsyncs."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path, data, durable=True):
    """Replaces the file with the bytes all at once (tmp file, fsync unless durable=False, rename):
    readers see the old contents or the new, never half of them."""
    tmp = "%s.tmp-%s" % (path, secrets.token_hex(6))
    try:
        if durable:
            write_durable(tmp, data)
        else:
            with open(tmp, "xb") as f:
                f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def checkpoint_name(step):
    return "ckpt-%06d" % step


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def save_checkpoint(directory, name, tensors, meta):
    """Writes name.safetensors then name.json (the commit marker); returns the weights' size in bytes."""
    os.makedirs(directory, exist_ok=True)
    weights = encode_safetensors(tensors, {"format": meta["format"], "step": str(meta["step"]), "weights": json.dumps(meta["weights"], separators=(",", ":"))})
    meta_bytes = (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    base = os.path.join(directory, name)
    tag = secrets.token_hex(6)
    weights_tmp, meta_tmp = "%s.safetensors.tmp-%s" % (base, tag), "%s.json.tmp-%s" % (base, tag)
    try:
        # 1. both files in full under temporary names: a full disk fails here, before anything changes
        write_durable(weights_tmp, weights)
        write_durable(meta_tmp, meta_bytes)
        # 2. un-commit an older checkpoint of the same name before its weights are replaced
        _unlink_quietly(base + ".json")
        os.replace(weights_tmp, base + ".safetensors")
        fsync_dir(directory)
        # 3. commit: the metadata appears, and with it the checkpoint
        os.replace(meta_tmp, base + ".json")
        fsync_dir(directory)
    finally:
        _unlink_quietly(weights_tmp)
        _unlink_quietly(meta_tmp)
    return len(weights)


def list_checkpoints(directory):
    """Complete checkpoints (both files, readable metadata) as [(step, name)], oldest first."""
    if not os.path.isdir(directory):
        return []
    files = set(os.listdir(directory))
    found = []
    for f in files:
        if not f.endswith(".json") or ".tmp-" in f:
            continue
        name = f[:-5]
        if name + ".safetensors" not in files or not NAME_PATTERN.match(name):
            continue
        try:
            with open(os.path.join(directory, f), "r", encoding="utf-8") as fh:
                step = json.load(fh).get("step")
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(step, int):
            m = re.search(r"(\d+)$", name)
            if not m:
                continue
            step = int(m.group(1))
        found.append((step, name))
    return sorted(found)


def prune_checkpoints(directory, keep_last):
    """Removes all but the newest keep_last checkpoints (metadata first); returns the removed names."""
    entries = list_checkpoints(directory)
    doomed = [name for _, name in entries[:max(0, len(entries) - keep_last)]]
    for name in doomed:
        _unlink_quietly(os.path.join(directory, name + ".json"))
        _unlink_quietly(os.path.join(directory, name + ".safetensors"))
    return doomed


def resolve_checkpoint(path):
    """PATH: a .safetensors or .json file, the name without extension, or a folder (its newest)."""
    if os.path.isdir(path):
        entries = list_checkpoints(path)
        if not entries:
            raise ValueError("no complete checkpoint in directory %s" % path)
        return os.path.join(path, entries[-1][1])
    for ext in (".safetensors", ".json"):
        if path.endswith(ext):
            return path[: -len(ext)]
    return path


def load_checkpoint(path):
    """(base name, {tensor name: np.ndarray}, meta dict) of the checkpoint at PATH."""
    base = resolve_checkpoint(path)
    name = os.path.basename(base)
    has_meta, has_weights = os.path.exists(base + ".json"), os.path.exists(base + ".safetensors")
    if not has_meta and not has_weights:
        raise ValueError("no checkpoint at %s (looked for %s.safetensors and %s.json)" % (path, base, base))
    if not has_meta:
        raise ValueError("checkpoint %s.safetensors is incomplete: %s.json is missing (interrupted save?)" % (base, name))
    if not has_weights:
        raise ValueError("checkpoint %s.json has no %s.safetensors beside it" % (base, name))
    with open(base + ".json", "r", encoding="utf-8") as f:
        try:
            meta = json.load(f)
        except ValueError as e:
            raise ValueError("checkpoint metadata %s.json is not valid JSON (%s)" % (base, e))
    if not isinstance(meta, dict) or meta.get("format") != "pretrain-studio-checkpoint":
        raise ValueError("%s: not a Pretrain Studio checkpoint (metadata has no format 'pretrain-studio-checkpoint')" % name)
    if meta.get("formatVersion") != 1:
        raise ValueError("%s: checkpoint format version %r is not supported (this script reads 1)" % (name, meta.get("formatVersion")))
    if not isinstance(meta.get("step"), int) or meta["step"] < 0:
        raise ValueError("%s: metadata step is missing or invalid" % name)
    tensors, _ = decode_safetensors(read_bytes(base + ".safetensors"), name + ".safetensors")
    return name, tensors, meta


def load_weights_file(path):
    """Weights only, for --init-from: a .safetensors file or any checkpoint PATH; optim.* dropped."""
    if path.endswith(".safetensors") and os.path.isfile(path):
        tensors, _ = decode_safetensors(read_bytes(path), os.path.basename(path))
    else:
        _, tensors, _ = load_checkpoint(path)
    return {k: v for k, v in tensors.items() if not k.startswith("optim.")}
`;
