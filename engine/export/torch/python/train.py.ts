// train.py of the PyTorch export: the training loop (one process, torchrun, several machines).
// Verbatim in a raw string (so no backticks or ${ inside); it holds no user values (see ../export.ts).
export const TRAIN_PY = String.raw`# Trains the exported Pretrain Studio pipeline with PyTorch: one process, several GPUs
# (torchrun --nproc_per_node=N) or several machines (torchrun --nnodes ...). Every value comes
# from config.json; this program is the same for every pipeline.
#
# One optimizer step (index s = 0, 1, ...), in the engine's order (docs/plan-format.md):
#   1. lr for step s (the schedule, else the optimizer's lr)
#   2. grad_accum_steps micro-batches: draw B windows with the portable Rng, forward, loss / n,
#      backward. With W processes every process draws the same B windows and takes its B / W
#      slice; DDP averages the gradients, so the update equals the one-process update.
#   3. a non-finite loss or gradient norm stops the run before the update is applied
#   4. clip, optimizer step; eval and sample when due (before the update when the plan says so)
#   5. after the step (step = s + 1 done): the inside view when due (insides.py, measured on the
#      first micro-batch's forward and on the gradients before clipping), the log line, then the
#      checkpoint when due
# Rank 0 writes train_log.jsonl, samples.jsonl, insides.jsonl, checkpoints/ and status.json into --out.
# SIGTERM stops the run between two steps (the step in progress finishes; every process stops at
# the same step), with state "stopped" in status.json; resume it from its last checkpoint.
# Live edits: a line {"node_id": ..., "params": {...}} appended to <out>/edit-requests.jsonl
# applies before the next step (README: "Live edits"); it is logged to train_log.jsonl and kept in
# <out>/edits.jsonl, which a resumed run replays at the steps where the edits happened; a request
# that cannot apply is logged as refused ("edit_refused") and training goes on.
# Prompts: a line {"id", "prompt_ids", "max_new_tokens", ...} appended to <out>/sample-requests.jsonl
# is answered between two steps into <out>/sample-answers/<id>.json (README: "Prompts"), with a
# generator of its own, so the run's random streams and losses are those of a run never asked.
import argparse
import contextlib
import datetime
import json
import math
import os
import re
import signal
import sys
import time
import traceback

STOP_REQUESTED = [False]  # set by SIGTERM, read between steps
EDIT_REQUESTS = "edit-requests.jsonl"  # live edits asked for, appended by the host or by hand
EDIT_HISTORY = "edits.jsonl"  # live edits that took effect: {step, nodeId, changes}
SAMPLE_REQUESTS = "sample-requests.jsonl"  # prompts asked for, appended by the host or by hand
SAMPLE_ANSWERS = "sample-answers"  # one <id>.json per answered prompt: {id, step, ids} or {id, error}
SAMPLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # an answer's file name
# config.json sections whose fields may change while the run trains (same names as the node params).
EDITABLE_SECTIONS = ("schedule", "optimizer", "clip", "eval", "checkpoint", "log", "sample", "model")
# In these sections only the fields named may change (the model's architecture is fixed).
ONLY_LIVE_FIELDS = {"model": ("inspect_every",)}
# config.json's model fields that are settings of the run, not of the architecture (GPTConfig).
MODEL_RUN_FIELDS = ("node_id", "inspect_every")
FIXED_WHILE_TRAINING = {"optimizer": ("node_id", "kind", "initial_accumulator", "decay_norms_and_biases"),
                        "sample": ("node_id", "prompt", "prompt_ids", "seed", "after_update", "tokenizer"),
                        "eval": ("node_id", "split", "batch_size", "context_length", "seed", "after_update")}


def request_stop(signum, frame):
    STOP_REQUESTED[0] = True


if __name__ == "__main__":
    # Before importing torch (seconds): a stop sent meanwhile still ends the run cleanly.
    signal.signal(signal.SIGTERM, request_stop)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the modules beside this file, also under python -I

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import checkpoint as ckpt  # noqa: E402
import config as config_file  # noqa: E402
from data import Decoder, TokenSplit, draw_starts, read_batch, sample_from_logits  # noqa: E402
from insides import INSIDES_FILE, InsidesProbe, is_due  # noqa: E402
from model import GPT, GPTConfig, init_parameters, load_weights  # noqa: E402
from optim import Optimizer, lr_at  # noqa: E402
from rng import Rng  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class RunError(Exception):
    """A failure blamed on a pipeline node (shown as node: message, like the studio does)."""

    def __init__(self, node_id, message):
        super().__init__(message)
        self.node_id = node_id


def parse_args(argv):
    p = argparse.ArgumentParser(description="Train the exported Pretrain Studio pipeline with PyTorch.")
    p.add_argument("--config", default=os.path.join(HERE, "config.json"), help="pipeline values (default: config.json beside this file)")
    p.add_argument("--out", default=os.path.join(HERE, "run"), help="run folder: train_log.jsonl, samples.jsonl, checkpoints/, status.json")
    p.add_argument("--status", help="where to write status.json (default: in the run folder)")
    p.add_argument("--steps", type=int, help="override the number of optimizer steps")
    p.add_argument("--resume", help="continue from a checkpoint (.safetensors, .json, name without extension, or a checkpoints folder)")
    p.add_argument("--init-from", help="start from these weights (safetensors file or checkpoint); optimizer state and step start fresh")
    p.add_argument("--restart-schedule", action="store_true",
                   help="with --resume: keep the checkpoint's weights, optimizer state and data position, but start the step counter and schedule at 0")
    p.add_argument("--init", choices=["torch", "portable"], default="torch",
                   help="weight init: torch's generator (fast), or the engine's portable Rng (same weights as the studio, slow)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto", help="auto: bfloat16 autocast on CUDA, float32 on CPU")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch >= 2.0)")
    args = p.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        p.error("--steps must be a positive integer")
    if args.resume and args.init_from:
        p.error("--resume and --init-from exclude each other (a resumed run has its weights)")
    if args.restart_schedule and not args.resume:
        p.error("--restart-schedule needs --resume (a run started fresh begins at step 0 anyway)")
    return args


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def js_number(x):
    """A float as JavaScript prints it in messages (NaN, Infinity)."""
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity") if math.isinf(x) else repr(x)


class Run:
    """Distributed setup, data, model, optimizer and outputs of one training run."""

    def __init__(self, args, cfg):
        self.args, self.cfg = args, cfg
        self.started = time.perf_counter()
        self.total = args.steps or cfg["total_steps"]
        # --- processes and device
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if args.device == "cuda" and not torch.cuda.is_available():
            raise RunError(cfg["model"]["node_id"], "--device cuda, but PyTorch sees no CUDA device")
        use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
        self.device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
        if use_cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        # Weights, optimizer state and the loss stay float32; bfloat16 autocast runs the matmuls.
        bf16 = args.dtype == "bfloat16" or (args.dtype == "auto" and use_cuda and torch.cuda.is_bf16_supported())
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
        self.dtype = "bfloat16" if bf16 else "float32"
        self.out = os.path.abspath(args.out)
        self.ckpt_dir = os.path.join(self.out, "checkpoints")
        self.status_path = status_path(args)
        if self.rank == 0:
            os.makedirs(self.out, exist_ok=True)

        # --- data: relative paths are relative to config.json's folder
        base = os.path.dirname(os.path.abspath(args.config))
        resolve = lambda p: p if os.path.isabs(p) else os.path.join(base, p)
        d = cfg["data"]
        splits = {"train": TokenSplit(resolve(d["train_path"]), "data.train_path"),
                  "valid": TokenSplit(resolve(d["valid_path"]), "data.valid_path")}
        b = cfg["batch"]
        self.batch_split = splits[b["split"]]
        if b["batch_size"] % self.world != 0:
            raise RunError(b["node_id"], "batch_size (%d) must be divisible by the number of processes (%d): "
                           "each process takes an equal slice of the batch" % (b["batch_size"], self.world))
        for key, split in (("batch", self.batch_split), ("eval", splits[cfg["eval"]["split"]] if cfg["eval"] else None)):
            if split is not None and len(split) - cfg[key]["context_length"] < 1:
                T = cfg[key]["context_length"]
                raise RunError(cfg[key]["node_id"], "%s has %d tokens; context_length %d needs at least %d" % (split.path, len(split), T, T + 1))
        self.eval_split = splits[cfg["eval"]["split"]] if cfg["eval"] else None
        m = cfg["model"]
        max_id = self.batch_split.max_id()
        if max_id >= m["vocab_size"]:
            raise RunError(m["node_id"], "vocab_size is %d, but %s's data contains token id %d; use at least %d"
                           % (m["vocab_size"], d["node_id"], max_id, max_id + 1))

        # --- model and optimizer
        self.model = GPT(GPTConfig(**{k: v for k, v in m.items() if k not in MODEL_RUN_FIELDS}))
        if args.init_from:
            load_weights(self.model, ckpt.load_weights_file(args.init_from))
        elif not args.resume:
            init_parameters(self.model, cfg["seed"], portable=args.init == "portable")
        self.model.to(self.device)
        self.optimizer = Optimizer(self.model.ordered_parameters(), cfg["optimizer"])
        self.batch_rng = Rng(b["seed"])
        self.sample_rng = Rng(cfg["sample"]["seed"]) if cfg["sample"] else None
        self.decoder = Decoder(cfg["sample"]["tokenizer"], base) if cfg["sample"] else None
        self.step = 0
        self.elapsed_before = 0.0
        self.last_checkpoint = None  # name of the newest checkpoint (saved or resumed from)
        self.last_saved = None  # {name, step, bytes, removed} of the newest checkpoint this run saved
        self.resumed_from = None
        self.status_time = 0.0  # when status.json was last written
        if args.resume:
            self.resume(args.resume)
        self.start_step = self.step
        self.edit_history = []
        self.replays = self.load_edit_history()
        # Requests already in the files were answered before this start (applied, or the run ended).
        self.edit_requests = RequestLines(os.path.join(self.out, EDIT_REQUESTS))
        self.sample_requests = RequestLines(os.path.join(self.out, SAMPLE_REQUESTS))
        # DDP first, then torch.compile (PyTorch's recommended order); eval, sample and checkpoints use self.model.
        self.ddp = None
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP
            self.ddp = DDP(self.model, device_ids=[local_rank] if use_cuda else None)
        self.train_model = self.ddp or self.model
        # The inside view hooks modules: its forward runs uncompiled (same parameters, same DDP).
        self.eager_model = self.train_model
        self.probe = InsidesProbe(self.model, self.world)
        if args.compile:
            if not hasattr(torch, "compile"):
                raise RunError(m["node_id"], "--compile needs PyTorch >= 2.0 (this is %s)" % torch.__version__)
            self.train_model = torch.compile(self.train_model)
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.tokens_per_step = b["batch_size"] * b["context_length"] * cfg["backward"]["grad_accum_steps"]

    # ---------------------------------------------------------------- state
    def elapsed(self):
        return self.elapsed_before + time.perf_counter() - self.started

    def resume(self, path):
        name, tensors, meta = ckpt.load_checkpoint(path)
        m = self.cfg["model"]
        try:
            load_weights(self.model, {k: v for k, v in tensors.items() if not k.startswith("optim.")})
        except ValueError as e:
            raise RunError(m["node_id"], "%s: %s" % (name, e))
        try:
            self.optimizer.load_state_tensors(tensors)
        except ValueError as e:
            raise RunError(self.cfg["optimizer"]["node_id"], "%s: %s" % (name, e))
        nodes = meta.get("nodes") or {}
        for rng, key in ((self.batch_rng, "batch"), (self.sample_rng, "sample")):
            saved = (nodes.get(self.cfg[key]["node_id"]) or {}).get("rng") if rng is not None else None
            if saved is not None:
                rng.set_state(saved)
        # A fork that restarts its schedule keeps everything but the step counter (and the clock).
        self.step = 0 if self.args.restart_schedule else meta["step"]
        self.elapsed_before = 0.0 if self.args.restart_schedule else float(meta.get("elapsedSeconds") or 0.0)
        self.last_checkpoint = name
        self.resumed_from = name

    # ---------------------------------------------------------------- live edits
    def load_edit_history(self):
        """Applies the run's edits up to its start step; returns the later ones, to replay at their steps."""
        path = os.path.join(self.out, EDIT_HISTORY)
        history = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        history.append(json.loads(line))
                    except ValueError:
                        pass  # a torn last line
        for edit in history:
            if edit["step"] <= self.step:
                self.apply_edit(edit["nodeId"], {k: v[1] for k, v in edit["changes"].items()}, record=False)
        return [e for e in history if e["step"] > self.step]

    def apply_edit(self, node_id, params, record=True, replayed=False):
        """Sets the new values of one node's fields at once; logs the edit unless record is False."""
        if node_id == "training":
            if set(params) != {"steps"}:
                raise RunError(node_id, "live edit: only training.steps may change while the run trains")
            if int(params["steps"]) <= self.step:
                raise RunError(node_id, "live edit: steps must be more than the %d steps already done" % self.step)
            changes = {"steps": [self.total, int(params["steps"])]}
            self.total = int(params["steps"])
        else:
            key = next((k for k in EDITABLE_SECTIONS if self.cfg[k] and self.cfg[k]["node_id"] == node_id), None)
            if key is None:
                raise RunError(node_id, "live edit: this run has no editable node %r" % node_id)
            section = self.cfg[key]
            live = ONLY_LIVE_FIELDS.get(key)
            fixed = [f for f in params if f not in section or f in FIXED_WHILE_TRAINING.get(key, ("node_id",)) or (live and f not in live)]
            if fixed:
                raise RunError(node_id, "live edit: %s cannot change while the run trains" % ", ".join(fixed))
            try:  # the new values pass config.json's checks, or none applies
                config_file.validate(dict(self.cfg, **{key: dict(section, **params)}))
            except config_file.ConfigError as e:
                raise RunError(node_id, "live edit: %s" % str(e).replace("config.json: ", "", 1))
            changes = {f: [section[f], params[f]] for f in params}
            section.update(params)
            if key == "optimizer":
                self.optimizer.retune()
            for node in self.cfg["pipeline"].get("nodes", []):
                if node.get("id") == node_id:
                    node["params"] = dict(node.get("params") or {}, **params)
        edit = {"step": self.step, "nodeId": node_id, "changes": changes}
        self.edit_history.append(edit)
        if record and self.rank == 0:
            line = {"step": self.step, "edited": {"nodeId": node_id, "changes": changes}}
            if replayed:
                line["replayed"] = True
            else:
                self.append(EDIT_HISTORY, edit)
            self.append("train_log.jsonl", line)
            print("step %d: edited %s: %s" % (self.step, node_id, json.dumps(changes)), flush=True)

    def refuse_edit(self, node_id, message):
        """Logs a refused edit request (train_log.jsonl, read back as a run/edit-refused event)."""
        message = message.replace("live edit: ", "", 1)
        if self.rank == 0:
            self.append("train_log.jsonl", {"step": self.step, "edit_refused": {"nodeId": node_id, "message": message}})
            print("step %d: refused an edit of %s: %s" % (self.step, node_id, message), file=sys.stderr, flush=True)

    def take_edit_requests(self):
        """New whole lines of edit-requests.jsonl (rank 0 reads them; every process gets the same)."""
        requests = []
        if self.rank == 0:
            for request in self.edit_requests.take():
                try:
                    requests.append((str(request["node_id"]), dict(request["params"])))
                except (KeyError, TypeError):
                    print("ignored a malformed line of %s: %s" % (EDIT_REQUESTS, json.dumps(request)[:200]), file=sys.stderr, flush=True)
        if self.world > 1:
            box = [requests]
            dist.broadcast_object_list(box, src=0)
            requests = box[0]
        return requests

    def between_steps(self):
        """Replays the history's edits due at this step, then applies the new requests."""
        while self.replays and self.replays[0]["step"] <= self.step:
            edit = self.replays.pop(0)
            self.apply_edit(edit["nodeId"], {k: v[1] for k, v in edit["changes"].items()}, replayed=True)
        for node_id, params in self.take_edit_requests():
            try:
                self.apply_edit(node_id, params)
            except RunError as e:  # a request that no longer fits is refused; the run goes on
                self.refuse_edit(node_id, str(e))
        if self.rank == 0:
            for request in self.sample_requests.take():
                self.answer_prompt(request)

    # ---------------------------------------------------------------- prompts
    def answer_prompt(self, request):
        """Continues one prompt with the current weights; the answer file appears whole (atomic rename)."""
        rid = request.get("id") if isinstance(request, dict) else None
        if not isinstance(rid, str) or not SAMPLE_ID.match(rid):
            print("ignored a line of %s without a valid id" % SAMPLE_REQUESTS, file=sys.stderr, flush=True)
            return
        expires = request.get("expires_at")
        if isinstance(expires, (int, float)) and time.time() > expires:
            return  # whoever asked has stopped waiting (the run was paused, or a step was long)
        try:
            V = self.cfg["model"]["vocab_size"]
            ids = [int(i) for i in request["prompt_ids"]] or [0]
            if any(i < 0 or i >= V for i in ids):
                raise ValueError("prompt token outside the model's vocabulary (%d)" % V)
            n = int(request["max_new_tokens"])
            if not 1 <= n <= 4096:
                raise ValueError("max_new_tokens must be between 1 and 4096, got %d" % n)
            # A generator of its own per prompt: the run's batch and sample streams are not touched.
            rng = Rng(int(request.get("seed", 7)))
            new = self.continue_ids(ids, n, float(request.get("temperature", 0.8)), int(request.get("top_k", 40)), rng)
            answer = {"id": rid, "step": self.step, "ids": new}
        except (KeyError, TypeError, ValueError) as e:
            answer = {"id": rid, "error": "prompt: %s" % e}
        folder = os.path.join(self.out, SAMPLE_ANSWERS)
        os.makedirs(folder, exist_ok=True)
        ckpt.write_atomic(os.path.join(folder, rid + ".json"), (json.dumps(answer) + "\n").encode("utf-8"), durable=False)

    def save_checkpoint(self):
        tensors = [(n, p.detach().float().cpu().numpy()) for n, p in self.model.ordered_parameters()]
        tensors += [(n, t.numpy()) for n, t in self.optimizer.state_tensors()]
        nodes = {self.cfg["batch"]["node_id"]: {"rng": self.batch_rng.get_state()}}
        if self.sample_rng is not None:
            nodes[self.cfg["sample"]["node_id"]] = {"rng": self.sample_rng.get_state()}
        pipeline = dict(self.cfg["pipeline"])
        pipeline["training"] = dict(pipeline.get("training") or {}, steps=self.total)
        meta = {
            "format": "pretrain-studio-checkpoint", "formatVersion": 1, "step": self.step, "elapsedSeconds": self.elapsed(),
            "pipeline": pipeline, "nodes": nodes, "weights": [n for n, _ in self.model.ordered_parameters()],
            "savedAt": now_iso(), "executor": "torch",
        }
        if self.edit_history:
            meta["edits"] = self.edit_history
        name = ckpt.checkpoint_name(self.step)
        size = ckpt.save_checkpoint(self.ckpt_dir, name, tensors, meta)
        removed = ckpt.prune_checkpoints(self.ckpt_dir, self.cfg["checkpoint"]["keep_last"])
        self.last_checkpoint = name
        return {"name": name, "step": self.step, "bytes": size, "removed": removed}

    def write_status(self, state, error=None):
        if self.rank != 0:
            return
        status = {
            "state": state, "step": self.step, "start_step": self.start_step, "total_steps": self.total, "last_checkpoint": self.last_checkpoint,
            "parameters": self.parameters, "tokens_per_step": self.tokens_per_step, "world_size": self.world,
            "device": self.device.type, "dtype": self.dtype, "resumed_from": self.resumed_from,
            "checkpoint": self.last_saved, "elapsed_s": self.elapsed(), "error": error, "updated_at": now_iso(), "pid": os.getpid(),
        }
        self.status_time = time.time()
        # No fsync: status.json is for watchers and rewritten often; atomic is what they need.
        ckpt.write_atomic(self.status_path, (json.dumps(status, indent=2) + "\n").encode("utf-8"), durable=False)

    def append(self, file, record):
        with open(os.path.join(self.out, file), "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    # ---------------------------------------------------------------- one step
    def micro_batch(self):
        """This process's slice of the next global batch, as int64 tensors [B / W, T]."""
        b = self.cfg["batch"]
        starts = draw_starts(self.batch_rng, self.batch_split, b["batch_size"], b["context_length"])
        per = b["batch_size"] // self.world
        x, y = read_batch(self.batch_split, starts[self.rank * per:(self.rank + 1) * per], b["context_length"])
        return torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)

    def loss_of(self, model, x, y):
        with self.autocast():
            logits = model(x)
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))

    def mean_across_processes(self, value):
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world

    @torch.no_grad()
    def evaluate(self):
        """Mean loss over 'batches' fixed batches: a fresh Rng(seed) each time (rank 0 only)."""
        e = self.cfg["eval"]
        rng = Rng(e["seed"])
        total = 0.0
        for _ in range(e["batches"]):
            starts = draw_starts(rng, self.eval_split, e["batch_size"], e["context_length"])
            x, y = read_batch(self.eval_split, starts, e["context_length"])
            total += self.loss_of(self.model, torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)).item()
        return total / e["batches"]

    @torch.no_grad()
    def continue_ids(self, prompt_ids, max_new_tokens, temperature, top_k, rng):
        """The engine's sampling rule (engine/model/generate.ts): the new token ids after prompt_ids."""
        T = self.cfg["model"]["context_length"]
        tokens = list(prompt_ids)
        new = []
        for _ in range(max_new_tokens):
            ctx = torch.tensor([tokens[-T:]], dtype=torch.long, device=self.device)
            with self.autocast():
                logits = self.model(ctx)[0, -1]
            nxt = sample_from_logits(logits.float().cpu().numpy(), temperature, top_k, rng)
            tokens.append(nxt)
            new.append(nxt)
        return new

    def generate(self):
        """The sample node's text: its prompt continued with its own Rng; returns (text, new ids)."""
        s = self.cfg["sample"]
        new = self.continue_ids(s["prompt_ids"], s["max_new_tokens"], s["temperature"], s["top_k"], self.sample_rng)
        return s["prompt"] + self.decoder.decode(new), new

    def outputs(self, after_update, done, summary):
        """Eval and sample, when due at this step and placed on this side of the update."""
        e, s = self.cfg["eval"], self.cfg["sample"]
        if e and e["after_update"] == after_update and (done % e["every"] == 0 or done == self.total) and self.rank == 0:
            summary["val_loss"] = self.evaluate()
            print("step %d: val_loss %.4f (%s)" % (done, summary["val_loss"], e["node_id"]), flush=True)
        if s and s["after_update"] == after_update and (done % s["every"] == 0 or done == self.total) and self.rank == 0:
            text, ids = self.generate()
            self.append("samples.jsonl", {"step": done, "node": s["node_id"], "text": text, "tokens": len(ids)})
            print("step %d: sample (%s): %s" % (done, s["node_id"], json.dumps(text, ensure_ascii=False)), flush=True)

    def train_step(self):
        """One optimizer step; returns its log line and its inside view (None when not due)."""
        cfg = self.cfg
        s = self.step
        done = s + 1
        t0 = time.perf_counter()
        summary = {}
        lr = lr_at(s, cfg["schedule"], self.total) if cfg["schedule"] else cfg["optimizer"]["lr"]
        self.outputs(False, done, summary)
        n = cfg["backward"]["grad_accum_steps"]
        inspect = is_due(done, cfg["model"]["inspect_every"])
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)  # summed on the device: one sync per step
        for micro in range(n):
            x, y = self.micro_batch()
            # Gradients sync across processes on the last micro-batch only.
            sync = self.world == 1 or micro == n - 1
            watched = inspect and micro == 0
            with (contextlib.nullcontext() if sync else self.ddp.no_sync()):
                with (self.probe.watch() if watched else contextlib.nullcontext()):
                    loss = self.loss_of(self.eager_model if watched else self.train_model, x, y)
                (loss / n).backward()
            loss_sum += loss.detach().double()
        loss_value = self.mean_across_processes(loss_sum.item() / n)
        if not math.isfinite(loss_value):
            raise RunError(cfg["loss"]["node_id"], "loss is %s; stopping before the update is applied (try a lower learning rate or clipping)" % js_number(loss_value))
        insides = self.probe.result() if inspect else None  # the gradients as the optimizer gets them, before clipping
        grad_norm = None
        if cfg["clip"]:
            max_norm = cfg["clip"]["max_norm"]
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm if max_norm > 0 else float("inf")).item()
            if not math.isfinite(grad_norm):
                raise RunError(cfg["clip"]["node_id"], "gradient norm is %s; stopping before the update is applied (try a lower learning rate or clipping)" % js_number(grad_norm))
        self.optimizer.step(lr)
        self.optimizer.torch.zero_grad(set_to_none=True)
        self.outputs(True, done, summary)
        self.step = done
        step_ms = (time.perf_counter() - t0) * 1000
        line = {"step": done, "loss": loss_value, "tokens_per_sec": self.tokens_per_step * 1000 / step_ms if step_ms > 0 else 0,
                "step_ms": step_ms, "elapsed_s": self.elapsed(), "lr": lr}
        if grad_norm is not None:
            line["grad_norm"] = grad_norm
        line.update(summary)
        return line, insides

    def stop_requested(self):
        """Whether a process got SIGTERM; with several, all agree (any one stops them all at this step)."""
        if self.world == 1:
            return STOP_REQUESTED[0]
        flag = torch.tensor([1.0 if STOP_REQUESTED[0] else 0.0], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return flag.item() > 0

    # ---------------------------------------------------------------- the loop
    def run(self):
        """Trains to the last step; returns False when stopped early (SIGTERM)."""
        cfg = self.cfg
        if self.rank == 0:
            print("training %s parameters on torch-%s (%s, %d process%s), %d tokens/step, steps %d..%d%s" % (
                format(self.parameters, ","), self.device.type, self.dtype, self.world, "" if self.world == 1 else "es",
                self.tokens_per_step, self.step, self.total, " (resumed from %s)" % self.resumed_from if self.resumed_from else ""), flush=True)
        self.write_status("running")
        stopped = False
        while self.step < self.total:
            self.between_steps()
            if self.stop_requested():
                stopped = True
                break
            line, insides = self.train_step()
            done = self.step
            if self.rank != 0:
                continue
            if insides is not None:  # before the log line: a reader that sees step k's line has its inside view
                self.append(INSIDES_FILE, {"step": done, "layers": insides["layers"], "blocks": insides["blocks"]})
            log = cfg["log"]
            if log and (done % log["every"] == 0 or done == self.total or "val_loss" in line):
                self.append("train_log.jsonl", line)
                print("step %d/%d  loss %.4f  lr %.2e  |g| %s  %s tok/s  %.0f ms/step" % (
                    done, self.total, line["loss"], line["lr"], "%.3f" % line["grad_norm"] if "grad_norm" in line else "-",
                    format(round(line["tokens_per_sec"]), ","), line["step_ms"]), flush=True)
            c = cfg["checkpoint"]
            saved = None
            if c and (done % c["every"] == 0 or (c["at_end"] and done == self.total)):
                saved = self.last_saved = self.save_checkpoint()
                print("step %d: saved %s (%.2f MB)" % (done, saved["name"], saved["bytes"] / 1e6), flush=True)
            # On log lines and checkpoints, and at least every 10 s for runs that log rarely.
            if saved or (log and done % log["every"] == 0) or time.time() - self.status_time >= 10:
                self.write_status("running")
        if stopped:
            self.write_status("stopped")
            if self.rank == 0:
                print("stopped after %d steps (SIGTERM)%s" % (self.step, "; last checkpoint %s" % self.last_checkpoint if self.last_checkpoint else ""), flush=True)
            return False
        self.write_status("finished")
        if self.rank == 0:
            print("completed after %d steps in %.1fs%s" % (self.step, self.elapsed(), "; last checkpoint %s" % self.last_checkpoint if self.last_checkpoint else ""), flush=True)
        return True


class RequestLines:
    """The JSON lines appended to a requests file since this start; a line still being written waits."""

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if os.path.exists(path) else 0

    def take(self):
        if not os.path.exists(self.path) or os.path.getsize(self.path) <= self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        whole = data.rfind(b"\n") + 1
        self.offset += whole
        requests = []
        for line in data[:whole].decode("utf-8", errors="replace").splitlines():
            try:
                requests.append(json.loads(line))
            except ValueError:
                print("ignored a malformed line of %s: %s" % (os.path.basename(self.path), line[:200]), file=sys.stderr, flush=True)
        return requests


def status_path(args):
    return os.path.abspath(args.status) if args.status else os.path.join(os.path.abspath(args.out), "status.json")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cfg = config_file.load(args.config)
    except config_file.ConfigError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    run = None
    finished = False
    try:
        run = Run(args, cfg)
        run.run()
        finished = True
        return 0
    except Exception as e:  # noqa: BLE001 - every failure must reach status.json
        node = getattr(e, "node_id", None)
        message = str(e) if isinstance(e, (RunError, ValueError, OSError)) else "%s: %s" % (type(e).__name__, e)
        if not isinstance(e, (RunError, ValueError, OSError)):
            traceback.print_exc()  # not one of ours: the trace helps more than the one line
        print("error: %s%s" % ("%s: " % node if node else "", message), file=sys.stderr, flush=True)
        if run is not None:
            run.write_status("failed", error={"message": message, "node_id": node})
        elif int(os.environ.get("RANK", "0")) == 0:
            # Failed during setup: still leave a status for hosts that watch the run folder.
            path = status_path(args)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            status = {"state": "failed", "step": 0, "start_step": 0, "total_steps": args.steps or cfg["total_steps"], "last_checkpoint": None, "elapsed_s": 0.0,
                      "error": {"message": message, "node_id": node}, "updated_at": now_iso(), "pid": os.getpid()}
            ckpt.write_atomic(path, (json.dumps(status, indent=2) + "\n").encode("utf-8"), durable=False)
        return 1
    finally:
        if dist.is_available() and dist.is_initialized():
            if finished:
                # Leave together: with gloo, a process whose peer has already gone can hang at exit.
                dist.barrier()
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
`;
