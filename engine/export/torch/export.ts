// The PyTorch exporter: a compiled plan -> a standalone folder (train.py, model.py, ...,
// config.json, README.md) that trains the same pipeline with PyTorch and torchrun.
// Browser-safe: returns file contents; engine/node/torch-export.ts writes them to disk.
//
// The Python sources are constants (./python/*.py.ts) and never contain a user value: every
// name, path, prompt and number goes to config.json, which train.py validates on load. So a
// pipeline cannot change the program it is run with, whatever its strings contain.
//
// Only the standard loop can be exported: dataset -> get_batch -> model -> loss -> backward ->
// [clip] -> optimizer [<- scheduler], with optional eval, checkpoint, log and sample.
import { ByteTokenizer } from '../../data/tokenize/byte';
import type { Tokenizer } from '../../data/tokenize/tokenizer';
import type { GptConfig } from '../../model/config';
import { modelSummary, type ModelSummary } from '../../model-graph/fields';
import { gptConfig, modelConfigOf, modelNumber } from '../../nodes/model';
import { optimizer as optimizerNode, type OptimizerParams } from '../../nodes/optimizer';
import { scheduler as schedulerNode, type ScheduleParams } from '../../nodes/scheduler';
import type { Plan, PlanNode } from '../../plan';
import { CHECKPOINT_PY } from './python/checkpoint.py';
import { CONFIG_PY } from './python/config.py';
import { DATA_PY } from './python/data.py';
import { INSIDES_PY } from './python/insides.py';
import { MODEL_PY } from './python/model.py';
import { OPTIM_PY } from './python/optim.py';
import { README_MD } from './python/readme.md';
import { RNG_PY } from './python/rng.py';
import { TRAIN_PY } from './python/train.py';

/** config.json's `format` and `version`; train.py refuses anything else. */
export const TORCH_CONFIG_FORMAT = 'pretrain-studio-torch';
export const TORCH_CONFIG_VERSION = 3; // 2: the model section names the architecture variants; 3: model.inspect_every

/** Where the export expects the bundled corpus (source 'brown'); engine/node/torch-export.ts copies it there. */
export const EXPORT_DATA_DIR = 'data';
/** The GPT-2 vocabulary (base64 bytes per id) engine/node/torch-export.ts writes for decoding samples. */
export const GPT2_VOCAB_FILE = `${EXPORT_DATA_DIR}/gpt2_vocab.json`;

/** The program files of every export, byte-identical whatever the pipeline. */
export const TORCH_SOURCES: ReadonlyMap<string, string> = new Map([
  ['train.py', TRAIN_PY],
  ['model.py', MODEL_PY],
  ['config.py', CONFIG_PY],
  ['data.py', DATA_PY],
  ['insides.py', INSIDES_PY],
  ['optim.py', OPTIM_PY],
  ['checkpoint.py', CHECKPOINT_PY],
  ['rng.py', RNG_PY],
  ['requirements.txt', 'numpy\ntorch>=1.13\n'],
  ['README.md', README_MD],
]);

/** One reason a plan cannot be exported, addressed to a node (and param or port) like a diagnostic. */
export interface ExportIssue {
  nodeId?: string;
  field?: string;
  message: string;
}

/** Thrown by exportTorch / torchConfig when the plan is not the standard loop. */
export class TorchExportError extends Error {
  constructor(readonly issues: ExportIssue[]) {
    super(issues.map((i) => `${i.nodeId ?? 'pipeline'}${i.field ? `.${i.field}` : ''}: ${i.message}`).join('\n'));
    this.name = 'TorchExportError';
  }
}

export interface TorchExportOptions {
  /**
   * The tokenizer of the dataset, when a sample node reads it (sample.data connected): encodes the
   * prompt here and is written to config.json to decode samples. Default: bytes. Required for the
   * bundled corpus tokenized with bpe or gpt2 (engine/node/torch-export.ts loads it from tokenizer.json).
   */
  tokenizer?: Tokenizer;
  /**
   * Where train.py reads the ids, relative to the export folder or absolute. Default: the dataset's
   * train_path / valid_path (source 'files'), or data/train_ids.npy and data/valid_ids.npy ('brown').
   */
  dataPaths?: { train: string; valid: string };
}

/** Every value of the run, as train.py reads it (checked there by config.py). */
export interface TorchConfig {
  format: typeof TORCH_CONFIG_FORMAT;
  version: typeof TORCH_CONFIG_VERSION;
  name: string;
  total_steps: number;
  seed: number;
  /** The architecture, and the steps between inside views (the model node's inspect_every; 0: off). */
  model: { node_id: string } & TorchModelConfig & { inspect_every: number };
  data: { node_id: string; train_path: string; valid_path: string };
  batch: { node_id: string; split: 'train' | 'valid'; batch_size: number; context_length: number; seed: number };
  loss: { node_id: string };
  backward: { node_id: string; grad_accum_steps: number };
  clip: { node_id: string; max_norm: number } | null;
  /** The optimizer node's params as its schema declares them (engine/nodes/optimizer.ts). */
  optimizer: { node_id: string } & OptimizerParams;
  /** The scheduler node's params as its schema declares them (engine/nodes/scheduler.ts). */
  schedule: ({ node_id: string } & ScheduleParams) | null;
  eval: {
    node_id: string;
    split: 'train' | 'valid';
    every: number;
    batches: number;
    batch_size: number;
    context_length: number;
    seed: number;
    after_update: boolean;
  } | null;
  checkpoint: { node_id: string; every: number; keep_last: number; at_end: boolean } | null;
  log: { node_id: string; every: number } | null;
  sample: {
    node_id: string;
    every: number;
    prompt: string;
    prompt_ids: number[];
    max_new_tokens: number;
    temperature: number;
    top_k: number;
    seed: number;
    after_update: boolean;
    tokenizer: SampleTokenizer | null;
  } | null;
  /** The migrated pipeline, stored in checkpoint metadata as the engine does. */
  pipeline: unknown;
}

/** The model section of config.json (model.py's GPTConfig): the flat names, every variant field spelled out. */
export type TorchModelConfig = ModelSummary;

/**
 * A GptConfig as model.py's GPTConfig takes it (snake_case, defaults filled in).
 * @example
 *   torchModelConfig({ ...cfg, nKvHeads: 1 }).n_kv_heads; // 1
 */
export function torchModelConfig(config: GptConfig): TorchModelConfig {
  return modelSummary(config);
}

/** How train.py decodes samples: bytes, BPE merges, or GPT-2's vocabulary file. */
export type SampleTokenizer = { kind: 'byte' } | { kind: 'bpe'; merges: [number, number][] } | { kind: 'gpt2'; vocab_path: string | null };

const EXPORTABLE_KINDS = ['dataset', 'get_batch', 'model', 'loss', 'backward', 'clip', 'optimizer', 'scheduler', 'eval', 'checkpoint', 'log', 'sample'];
const REQUIRED_KINDS = ['dataset', 'get_batch', 'model', 'loss', 'backward', 'optimizer'];

/** The plan's nodes by kind, plus the wiring facts the checks and the config need. */
interface Loop {
  byKind: Map<string, PlanNode>;
  index: Map<string, number>; // node id -> position in plan order
}

function describeLoop(plan: Plan, issues: ExportIssue[]): Loop {
  const byKind = new Map<string, PlanNode>();
  const index = new Map(plan.nodes.map((n, i) => [n.id, i]));
  // In the document's order, so "the first" is the one the user placed first.
  const documentOrder = new Map(plan.pipeline.nodes.map((n, i) => [n.id, i]));
  const nodes = [...plan.nodes].sort((a, b) => (documentOrder.get(a.id) ?? 0) - (documentOrder.get(b.id) ?? 0));
  for (const node of nodes) {
    if (!EXPORTABLE_KINDS.includes(node.kind)) {
      issues.push({
        nodeId: node.id,
        message: `kind '${node.kind}' has no PyTorch export (the export runs the standard loop: ${EXPORTABLE_KINDS.join(', ')})`,
      });
      continue;
    }
    const first = byKind.get(node.kind);
    if (first) {
      issues.push({
        nodeId: node.id,
        message: `a second ${node.kind} node (the first is '${first.id}'); the PyTorch export runs the standard loop with one of each`,
      });
      continue;
    }
    byKind.set(node.kind, node);
  }
  for (const kind of REQUIRED_KINDS) {
    if (!byKind.has(kind)) issues.push({ message: `no ${kind} node: the PyTorch export needs the standard loop (${REQUIRED_KINDS.join(' -> ')})` });
  }
  return { byKind, index };
}

/** Checks that `node.port` is fed by `from` (a node id) through one of `ports`. */
function expectInput(issues: ExportIssue[], node: PlanNode, port: string, from: PlanNode | undefined, ports: string[], why: string): void {
  const input = node.inputs[port];
  if (!input || !from || input.node !== from.id || !ports.includes(input.port)) {
    const got = input ? `${input.node}.${input.port}` : 'nothing';
    const want = from ? ports.map((p) => `${from.id}.${p}`).join(' or ') : 'it';
    issues.push({ nodeId: node.id, field: port, message: `is fed by ${got}; the PyTorch export needs ${want} (${why})` });
  }
}

/**
 * Everything that keeps `plan` from being exported (empty when it can be), each addressed to the
 * node at fault.
 * @example
 *   checkExportable(plan); // [{ nodeId: 'loss', field: 'targets', message: 'is fed by get_batch.x; ...' }]
 */
export function checkExportable(plan: Plan): ExportIssue[] {
  const issues: ExportIssue[] = [];
  const { byKind } = describeLoop(plan, issues);
  if (issues.length) return issues;
  const k = (kind: string) => byKind.get(kind);
  const [dataset, getBatch, model, loss, backward, optimizer] = REQUIRED_KINDS.map((kind) => k(kind)!);
  const clip = k('clip');
  const scheduler = k('scheduler');
  const modelSources = [model, optimizer];
  expectInput(issues, getBatch, 'tokens', dataset, ['train', 'valid'], 'batches come from the dataset');
  expectInput(issues, model, 'x', getBatch, ['x'], 'the model reads the inputs');
  expectInput(issues, loss, 'logits', model, ['logits'], "the loss of the model's logits");
  expectInput(issues, loss, 'targets', getBatch, ['y'], 'targets are the inputs shifted by one');
  expectInput(issues, backward, 'loss', loss, ['loss'], 'gradients of the loss');
  if (clip) expectInput(issues, clip, 'grads', backward, ['grads'], 'clipping the gradients');
  expectInput(
    issues,
    optimizer,
    'grads',
    clip ?? backward,
    ['grads'],
    clip ? 'the clipped gradients reach the optimizer' : 'the gradients reach the optimizer',
  );
  expectInput(issues, optimizer, 'model', model, ['model'], 'the optimizer updates the model');
  if (scheduler) expectInput(issues, optimizer, 'lr', scheduler, ['lr'], 'the schedule sets the learning rate');
  else if (optimizer.inputs.lr) issues.push({ nodeId: optimizer.id, field: 'lr', message: 'is fed by something other than a scheduler' });
  for (const kind of ['eval', 'checkpoint', 'sample']) {
    const node = k(kind);
    if (!node) continue;
    const input = node.inputs.model;
    if (!input || !modelSources.some((m) => m.id === input.node)) {
      issues.push({ nodeId: node.id, field: 'model', message: `must be fed by ${model.id}.model or ${optimizer.id}.model` });
    }
  }
  const evalNode = k('eval');
  if (evalNode) expectInput(issues, evalNode, 'data', dataset, ['train', 'valid'], 'evaluation reads the dataset');
  const sampleNode = k('sample');
  if (sampleNode?.inputs.data) expectInput(issues, sampleNode, 'data', dataset, ['train', 'valid'], "samples decode with the dataset's tokenizer");
  const logNode = k('log');
  if (logNode) expectInput(issues, logNode, 'loss', backward, ['loss'], "the step's mean loss");
  const modelT = modelNumber(model, 'context_length');
  if (Number(getBatch.params.context_length) > modelT) {
    issues.push({
      nodeId: getBatch.id,
      field: 'context_length',
      message: `(${getBatch.params.context_length}) exceeds the model's context_length (${modelT})`,
    });
  }
  if (evalNode && Number(evalNode.params.context_length) > modelT) {
    issues.push({
      nodeId: evalNode.id,
      field: 'context_length',
      message: `(${evalNode.params.context_length}) exceeds the model's context_length (${modelT})`,
    });
  }
  return issues;
}

const num = (node: PlanNode, key: string) => Number(node.params[key]);
const bool = (node: PlanNode, key: string) => Boolean(node.params[key]);
const str = (node: PlanNode, key: string) => String(node.params[key]);
const split = (port: string) => (port === 'valid' ? 'valid' : 'train');

/** The tokenizer sample decoding needs, as config.json carries it. */
function sampleTokenizer(tokenizer: Tokenizer): SampleTokenizer {
  const json = tokenizer.toJSON();
  switch (json.kind) {
    case 'byte':
      return { kind: 'byte' };
    case 'bpe':
      return { kind: 'bpe', merges: json.merges.map(([a, b]) => [a, b]) };
    case 'gpt2':
      return { kind: 'gpt2', vocab_path: GPT2_VOCAB_FILE };
  }
}

/**
 * config.json for `plan`: every value train.py uses. Throws TorchExportError when the plan is not
 * exportable or the sample prompt does not fit the model.
 * @example
 *   torchConfig(plan).optimizer.kind; // 'adamw'
 */
export function torchConfig(plan: Plan, options: TorchExportOptions = {}): TorchConfig {
  const issues = checkExportable(plan);
  if (issues.length) throw new TorchExportError(issues);
  const { byKind, index } = describeLoop(plan, []);
  const k = (kind: string) => byKind.get(kind);
  const [dataset, getBatch, model, loss, backward, optimizer] = REQUIRED_KINDS.map((kind) => k(kind)!);
  const clip = k('clip');
  const scheduler = k('scheduler');
  const evalNode = k('eval');
  const checkpoint = k('checkpoint');
  const log = k('log');
  const sample = k('sample');
  // eval and sample placed before the optimizer in plan order run before the update, as in the engine.
  const afterUpdate = (node: PlanNode) => index.get(node.id)! > index.get(optimizer.id)!;

  const source = str(dataset, 'source');
  if (source === 'brown' && sample?.inputs.data && str(dataset, 'tokenizer') !== 'byte' && !options.tokenizer) {
    throw new TorchExportError([
      {
        nodeId: sample.id,
        field: 'data',
        message: `decodes with the ${str(dataset, 'tokenizer')} tokenizer of ${dataset.id}; pass it as options.tokenizer (writeTorchExport loads it)`,
      },
    ]);
  }
  const dataPaths =
    options.dataPaths ??
    (source !== 'files'
      ? { train: `${EXPORT_DATA_DIR}/train_ids.npy`, valid: `${EXPORT_DATA_DIR}/valid_ids.npy` }
      : { train: str(dataset, 'train_path'), valid: str(dataset, 'valid_path') });

  const m = modelConfigOf(model).summary!; // a plan's model compiles
  let sampleConfig: TorchConfig['sample'] = null;
  if (sample) {
    // The engine decodes with the dataset's tokenizer only when sample.data is connected.
    const tokenizer = sample.inputs.data ? (options.tokenizer ?? new ByteTokenizer()) : new ByteTokenizer();
    const prompt = str(sample, 'prompt');
    const encoded = Array.from(tokenizer.encode(prompt));
    const promptIds = encoded.length ? encoded : [0]; // an empty prompt starts from token 0, as in the engine
    const vocab = m.vocab_size;
    const tooBig = promptIds.find((id) => id >= vocab);
    if (tooBig !== undefined) {
      throw new TorchExportError([{ nodeId: sample.id, field: 'prompt', message: `token ${tooBig} is outside the model's vocabulary (${vocab})` }]);
    }
    sampleConfig = {
      node_id: sample.id,
      every: num(sample, 'every'),
      prompt,
      prompt_ids: promptIds,
      max_new_tokens: num(sample, 'max_new_tokens'),
      temperature: num(sample, 'temperature'),
      top_k: num(sample, 'top_k'),
      seed: num(sample, 'seed'),
      after_update: afterUpdate(sample),
      tokenizer: sample.inputs.data ? sampleTokenizer(tokenizer) : null,
    };
  }

  return {
    format: TORCH_CONFIG_FORMAT,
    version: TORCH_CONFIG_VERSION,
    name: plan.name,
    total_steps: plan.totalSteps,
    seed: plan.seed,
    model: {
      node_id: model.id,
      ...torchModelConfig(gptConfig(model.params as Parameters<typeof gptConfig>[0])),
      inspect_every: num(model, 'inspect_every'),
    },
    data: { node_id: dataset.id, train_path: dataPaths.train, valid_path: dataPaths.valid },
    batch: {
      node_id: getBatch.id,
      split: split(getBatch.inputs.tokens.port),
      batch_size: num(getBatch, 'batch_size'),
      context_length: num(getBatch, 'context_length'),
      seed: num(getBatch, 'seed'),
    },
    loss: { node_id: loss.id },
    backward: { node_id: backward.id, grad_accum_steps: num(backward, 'grad_accum_steps') },
    clip: clip ? { node_id: clip.id, max_norm: num(clip, 'max_norm') } : null,
    // Every field the schema declares, in its order; the Python checks list the same (schema-drift.test.ts).
    optimizer: { node_id: optimizer.id, ...optimizerNode.params.parse(optimizer.params) },
    schedule: scheduler ? { node_id: scheduler.id, ...schedulerNode.params.parse(scheduler.params) } : null,
    eval: evalNode
      ? {
          node_id: evalNode.id,
          split: split(evalNode.inputs.data.port),
          every: num(evalNode, 'every'),
          batches: num(evalNode, 'batches'),
          batch_size: num(evalNode, 'batch_size'),
          context_length: num(evalNode, 'context_length') || m.context_length,
          seed: num(evalNode, 'seed'),
          after_update: afterUpdate(evalNode),
        }
      : null,
    checkpoint: checkpoint
      ? { node_id: checkpoint.id, every: num(checkpoint, 'every'), keep_last: num(checkpoint, 'keep_last'), at_end: bool(checkpoint, 'at_end') }
      : null,
    log: log ? { node_id: log.id, every: num(log, 'every') } : null,
    sample: sampleConfig,
    pipeline: plan.pipeline,
  };
}

/**
 * The export folder for `plan`, as file name -> contents: the Python program (identical for every
 * pipeline), config.json (every value) and README.md. Throws TorchExportError naming the node
 * that keeps the plan from being exported.
 * @example
 *   const files = exportTorch(plan);
 *   files.get('config.json'); // '{\n  "format": "pretrain-studio-torch", ...'
 */
export function exportTorch(plan: Plan, options: TorchExportOptions = {}): Map<string, string> {
  const config = torchConfig(plan, options);
  const files = new Map(TORCH_SOURCES);
  files.set('config.json', JSON.stringify(config, null, 2) + '\n');
  return files;
}
