// README.md of the PyTorch export: the README.md of the export folder.
// A template literal (its backticks escaped); it holds no user values (see ../export.ts).
export const README_MD = `# PyTorch export of a Pretrain Studio pipeline

This folder trains the pipeline it was exported from with PyTorch, on one CPU or GPU, on several
GPUs, or on several machines. It needs Python 3.8+, \`torch\` (1.13 or newer) and \`numpy\`, nothing
else (\`pip install -r requirements.txt\`).

- \`config.json\` holds every value of the pipeline (model, optimizer, schedule, batch, steps,
  seeds, data paths, eval / checkpoint / log / sample settings). Edit it to change the run;
  \`train.py\` checks every field on load and names the one that is wrong.
- \`train.py\` is the training loop; \`model.py\` the GPT; \`optim.py\` schedules and optimizers;
  \`data.py\` batches and sampling; \`rng.py\` the portable random generator; \`checkpoint.py\`
  safetensors checkpoints; \`config.py\` the checks of \`config.json\`; \`insides.py\` the inside
  view. These files are the same for every pipeline.

## Run

\`\`\`sh
# one process: a GPU when there is one, else the CPU
python train.py

# the CPU, explicitly
python train.py --device cpu

# N GPUs on this machine (the batch is split between them: batch_size must divide by N)
torchrun --standalone --nproc_per_node=N train.py

# several machines, e.g. 2 machines with 8 GPUs each; run on every machine with its --node_rank
torchrun --nnodes=2 --nproc_per_node=8 --node_rank=0 --master_addr=10.0.0.1 --master_port=29500 train.py
torchrun --nnodes=2 --nproc_per_node=8 --node_rank=1 --master_addr=10.0.0.1 --master_port=29500 train.py

# several CPU processes (gloo), e.g. to check the distributed setup without GPUs
torchrun --standalone --nproc_per_node=2 train.py --device cpu
\`\`\`

(Debian's python3-torch 1.13 on Python 3.11 has a torchrun bug that stops it before it starts a
worker, "'NoneType' object has no attribute 'get'"; add \`--redirects 1 --tee 1\` to the torchrun
options there.)

Options: \`--out DIR\` (run folder, default \`run/\` here), \`--steps N\` (override the number of
steps), \`--resume PATH\` (continue from a checkpoint: a \`.safetensors\` or \`.json\` file, the name
without extension, or a \`checkpoints/\` folder for its newest one), \`--restart-schedule\` (with \`--resume\`: keep the checkpoint's
weights, optimizer state and data position, but start the step counter and the schedule at 0, as
a fork that restarts its schedule), \`--init-from PATH\` (start from
these weights, with fresh optimizer state), \`--init portable\` (draw the initial weights with the
studio's own random generator, so they equal the studio's; slow for large models), \`--device
auto|cpu|cuda\`, \`--dtype auto|float32|bfloat16\` (auto: bfloat16 autocast on CUDA), \`--compile\`
(torch.compile, PyTorch 2+).

## What it writes

Into the run folder (rank 0 only):

- \`train_log.jsonl\`: one JSON line per logged step (\`step\`, \`loss\`, \`lr\`, \`grad_norm\`,
  \`tokens_per_sec\`, \`step_ms\`, \`elapsed_s\`, and \`val_loss\` on eval steps), as the studio writes it.
- \`samples.jsonl\`: generated text (\`step\`, \`node\`, \`text\`, \`tokens\`).
- \`insides.jsonl\`: at step 1 and every \`model.inspect_every\` steps (0: never), per inner node of
  the model (\`wte\`, \`norm1\`, \`attn\`, ..., \`lm_head\`) one number per layer: \`act_rms\` (output
  RMS in the first micro-batch's forward), \`grad_norm\` (its parameters' gradient before
  clipping) and, for \`attn\`, \`attn_entropy\` (mean entropy of the attention weights, in nats).
- \`checkpoints/ckpt-NNNNNN.safetensors\` + \`.json\`: weights under the studio's parameter names
  (\`wte\`, \`blocks.0.attn.wq\`, ... in \`[in, out]\` layout) and optimizer state (\`optim.*\`). The
  studio resumes them, and this script resumes the studio's.
- \`status.json\` (or \`--status PATH\`): \`state\` (\`running\`, \`finished\`, \`stopped\`, \`failed\`),
  \`step\`, \`last_checkpoint\`, \`error\`; rewritten atomically, for tools that watch the run.

\`SIGTERM\` (\`kill PID\`, or to torchrun's process group) stops the run after the step in progress,
with \`state: "stopped"\`; \`--resume\` continues it from its last checkpoint.

## Live edits

While it trains, append a JSON line to \`edit-requests.jsonl\` in the run folder to change
settings before the next step, e.g.

    echo '{"node_id": "scheduler", "params": {"kind": "constant", "lr": 0.001}}' >> run/edit-requests.jsonl

\`node_id\` is the node's id in \`config.json\` (\`schedule\`, \`optimizer\`, \`clip\`, \`eval\`,
\`checkpoint\`, \`log\` and \`sample\` sections; the \`model\` section for \`inspect_every\` only), or
\`training\` with \`{"steps": N}\` to lengthen or shorten the run; the params are that section's fields (not the optimizer's \`kind\`, the sample's
prompt and seed, or eval's batch shape). All fields of a line apply together. Each edit adds a line
\`{"step", "edited": {"nodeId", "changes": {field: [old, new]}}}\` to \`train_log.jsonl\` and one to
\`edits.jsonl\`; checkpoints carry the edited values, and \`--resume\` from an earlier checkpoint
replays \`edits.jsonl\` at the steps where the edits happened. A line that cannot apply (a field
that is fixed, a value \`config.json\` refuses, \`steps\` no longer above the steps done) is refused
with a line \`{"step", "edit_refused": {"nodeId", "message"}}\` in \`train_log.jsonl\` and training
goes on unchanged.

## Prompts

While it trains, append a JSON line to \`sample-requests.jsonl\` in the run folder to have the model
continue a prompt (token ids of the dataset's tokenizer) before the next step, e.g.

    echo '{"id": "q1", "prompt_ids": [84, 104, 101, 32], "max_new_tokens": 40, "temperature": 0.8, "top_k": 40, "seed": 7}' >> run/sample-requests.jsonl

The answer appears whole as \`run/sample-answers/q1.json\`: \`{"id", "step", "ids"}\` (the new token
ids, from the weights after \`step\` steps) or \`{"id", "error"}\`. Each prompt draws from its own
generator seeded with \`seed\`, so the run's batches, samples and losses are those of a run never
asked. \`id\` is 1-64 letters, digits, \`-\` or \`_\`; a line with \`expires_at\` (Unix seconds) that has
passed is skipped.

## Same numbers as the studio

Batches are drawn with the studio's portable random generator (xoshiro128**), so the same seed
reads the same windows in the same order, in one process or many. Started from the same weights
(\`--init-from\`, or \`--init portable\`), the losses match the studio's to float32 rounding.
`;
