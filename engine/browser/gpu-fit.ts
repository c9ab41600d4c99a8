// Will a plan's tensors fit a WebGPU device? Every tfjs tensor is one GPU buffer, bound whole as
// a storage buffer, so the largest tensor must stay under the adapter's maxStorageBufferBindingSize
// (and maxBufferSize); a matmul dispatches one workgroup per 32x32 output tile per batch entry,
// within maxComputeWorkgroupsPerDimension per axis. Checked before training, so an oversized model
// fails at once with the node to change instead of as a device error half way through setup.
import { modelNumber } from '../nodes/model';
import type { Plan, PlanInput, PlanNode } from '../plan';
import type { GpuLimits } from './protocol';

/** One large tensor of a training step, and the node param that sizes it. */
export interface TensorEstimate {
  /** What it is, e.g. 'logits [B, T, V]'. */
  what: string;
  shape: number[];
  bytes: number; // float32: 4 bytes per element
  /** The model node the tensor belongs to. */
  modelId: string;
  /** The node and param to change to shrink it (batch_size of get_batch/eval, or a model param). */
  blame: { nodeId: string; field: string };
  /** For batch-sized tensors: bytes per sequence of the batch (to suggest a batch that fits). */
  bytesPerSequence?: number;
}

/** A limit a tensor breaks, addressed like a diagnostic. */
export interface FitProblem {
  nodeId: string;
  field: string;
  message: string;
}

const F32 = 4;
/** Output rows and columns per workgroup of tfjs-backend-webgpu's tiled matmul (8x8 threads x 4x4). */
const MATMUL_TILE = 32;

const num = (node: PlanNode, key: string) => Number(node.params[key]);

/** The model node a Model input comes from, following Model outputs back (optimizer.model -> model.model). */
function modelBehind(plan: Plan, node: PlanNode, port: string): PlanNode | undefined {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  let input: PlanInput | undefined = node.inputs[port];
  for (let hops = 0; input && hops < plan.nodes.length; hops++) {
    const source = byId.get(input.node);
    if (!source) return undefined;
    if (source.kind === 'model') return source;
    input = Object.values(source.inputs).find((i) => i.type === 'Model');
  }
  return undefined;
}

/** Every (model, batch) pairing of a plan: training batches from get_batch, evaluation batches from eval. */
function batchesOf(plan: Plan): { model: PlanNode; B: number; T: number; blame: { nodeId: string; field: string } }[] {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const out: { model: PlanNode; B: number; T: number; blame: { nodeId: string; field: string } }[] = [];
  for (const node of plan.nodes) {
    if (node.kind === 'model' && node.inputs.x) {
      const feeder = byId.get(node.inputs.x.node);
      if (feeder?.kind === 'get_batch') {
        out.push({ model: node, B: num(feeder, 'batch_size'), T: num(feeder, 'context_length'), blame: { nodeId: feeder.id, field: 'batch_size' } });
      }
    } else if (node.kind === 'eval') {
      const model = modelBehind(plan, node, 'model');
      if (model) {
        const T = num(node, 'context_length') || modelNumber(model, 'context_length');
        out.push({ model, B: num(node, 'batch_size'), T, blame: { nodeId: node.id, field: 'batch_size' } });
      }
    }
  }
  return out;
}

/**
 * The largest tensors a training step of `plan` makes, largest first (activations per batch
 * pairing, and the biggest weights, whose gradient and Adam moments are the same size).
 * @example
 *   largestTensors(plan)[0]; // { what: 'logits [B, T, V]', shape: [16, 64, 256], bytes: 1048576, ... }
 */
export function largestTensors(plan: Plan): TensorEstimate[] {
  const out: TensorEstimate[] = [];
  for (const { model, B, T, blame } of batchesOf(plan)) {
    const V = modelNumber(model, 'vocab_size'),
      nH = modelNumber(model, 'n_heads'),
      F = modelNumber(model, 'd_ff');
    // The logits, their softmax and their gradient are each [B, T, V]: the largest by far for real vocabularies.
    out.push({ what: 'logits [B, T, V]', shape: [B, T, V], bytes: B * T * V * F32, modelId: model.id, blame, bytesPerSequence: T * V * F32 });
    out.push({
      what: 'attention scores [B*n_heads, T, T]',
      shape: [B * nH, T, T],
      bytes: B * nH * T * T * F32,
      modelId: model.id,
      blame,
      bytesPerSequence: nH * T * T * F32,
    });
    out.push({ what: 'feed-forward hidden [B*T, d_ff]', shape: [B * T, F], bytes: B * T * F * F32, modelId: model.id, blame, bytesPerSequence: T * F * F32 });
  }
  for (const model of plan.nodes.filter((n) => n.kind === 'model')) {
    const V = modelNumber(model, 'vocab_size'),
      C = modelNumber(model, 'd_model'),
      F = modelNumber(model, 'd_ff');
    out.push({
      what: 'token embedding [vocab_size, d_model]',
      shape: [V, C],
      bytes: V * C * F32,
      modelId: model.id,
      blame: { nodeId: model.id, field: 'vocab_size' },
    });
    out.push({ what: 'feed-forward weight [d_model, d_ff]', shape: [C, F], bytes: C * F * F32, modelId: model.id, blame: { nodeId: model.id, field: 'd_ff' } });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** '823.6 MB' / '128 MiB' style sizes for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`;
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/**
 * Problems that would stop `plan` on a WebGPU device with these limits; empty when it fits.
 * @example
 *   checkGpuFit(plan, { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20, maxComputeWorkgroupsPerDimension: 65535 });
 *   // [{ nodeId: 'get_batch', field: 'batch_size', message: "model: logits [B, T, V] [16,256,50257] in float32 is 823.4 MB, over ..." }]
 */
export function checkGpuFit(plan: Plan, limits: GpuLimits): FitProblem[] {
  const problems: FitProblem[] = [];
  const seen = new Set<string>();
  const add = (p: FitProblem) => {
    const key = `${p.nodeId}.${p.field}`;
    if (!seen.has(key)) problems.push(p);
    seen.add(key);
  };
  const bindable = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  for (const t of largestTensors(plan)) {
    if (t.bytes <= bindable) continue;
    const batchFits = t.bytesPerSequence ? Math.floor(bindable / t.bytesPerSequence) : undefined;
    const hint =
      batchFits === undefined
        ? `make ${t.blame.nodeId}.${t.blame.field} smaller`
        : batchFits >= 1
          ? `lower ${t.blame.nodeId}.${t.blame.field} to ${batchFits} or less`
          : `even one sequence is too large: shorten the context or use a smaller model`;
    add({
      ...t.blame,
      message:
        `${t.modelId}: ${t.what} ${JSON.stringify(t.shape)} in float32 is ${formatBytes(t.bytes)}, over this GPU's ` +
        `${limitName} of ${formatBytes(bindable)}; ${hint}, or run on the wasm backend`,
    });
  }
  // Tiled matmuls put output rows on the y axis and batch entries on z; tfjs can only fold x.
  for (const { model, B, T, blame } of batchesOf(plan)) {
    const nH = modelNumber(model, 'n_heads');
    const rowTiles = Math.ceil((B * T) / MATMUL_TILE);
    if (rowTiles > limits.maxComputeWorkgroupsPerDimension) {
      add({
        ...blame,
        message: `${model.id}: matmuls over ${B * T} rows (batch ${B} x context ${T}) need ${rowTiles} workgroups along one axis, over this GPU's maxComputeWorkgroupsPerDimension of ${limits.maxComputeWorkgroupsPerDimension}`,
      });
    }
    if (B * nH > limits.maxComputeWorkgroupsPerDimension) {
      add({
        ...blame,
        message: `${model.id}: attention runs ${B * nH} batched matmuls (batch ${B} x ${nH} heads), over this GPU's maxComputeWorkgroupsPerDimension of ${limits.maxComputeWorkgroupsPerDimension}`,
      });
    }
  }
  return problems;
}
