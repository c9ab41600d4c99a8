// What a block shows while a run goes: the numbers that matter for its kind, a sparkline, and
// for some kinds a text or a link (the latest sample, the newest checkpoint). Pure: the block
// component draws what this returns. A kind not listed here shows its first numbers generically.
// TODO: this table could move into the node definitions (a `live` field next to `summary`) once the
// engine wants to own it; it lives here because only the UI reads it.
import type { NodeLive, Series } from './run-stream';

export interface LiveMetric {
  /** The metric's name in the events (`loss`), or a derived name (`batches_per_sec`). */
  key: string;
  label: string;
  value: number;
  text: string;
  /** Tooltip: what the number is. */
  title: string;
}

export interface LiveDisplay {
  metrics: LiveMetric[];
  spark?: { label: string; values: number[] };
  sample?: { text: string; step: number };
  checkpoint?: { name: string; bytes: number; step: number; href: string };
  notices: string[];
  error?: { message: string; field?: string };
}

/** Run-level numbers some blocks need beside their own. */
export interface LiveContext {
  runId: string;
  /** Recent tokens/s of the run's steps (get_batch turns them into batches/s). */
  tokensPerSec?: number[];
}

const UNITS = ['', 'k', 'M', 'B', 'T'];

/**
 * A count with a unit prefix, three significant digits.
 * @example formatCount(18528) // '18.5k'
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let i = 0;
  let v = Math.abs(n);
  while (v >= 999.5 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? Math.round(v).toString() : Number(v.toPrecision(3)).toString();
  return `${n < 0 ? '-' : ''}${digits}${UNITS[i]}`;
}

/**
 * Bytes in decimal units.
 * @example formatBytes(226528) // '227 kB'
 */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}

/**
 * A number for a block or a chart legend: 4 significant digits, exponent form for tiny values.
 * @example formatValue(0.0020004) // '2.000e-3'
 */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 0.01) return v.toExponential(3).replace(/e([+-])0*(\d)/, (_, s, d) => `e${s === '-' ? '-' : ''}${d}`);
  if (a >= 100_000) return formatCount(v);
  return Number(v.toPrecision(4)).toString();
}

/**
 * Milliseconds with sensible precision.
 * @example formatMs(12.345) // '12.3 ms'
 */
export function formatMs(ms: number): string {
  if (ms < 0.01) return '<0.01 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return formatDuration(ms / 1000);
}

/**
 * A duration in seconds as people read it.
 * @example formatDuration(220) // '3m 40s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function metric(key: string, label: string, value: number | undefined, text: (v: number) => string, title: string): LiveMetric[] {
  return value === undefined ? [] : [{ key, label, value, text: text(value), title }];
}

const series = (node: NodeLive, name: string): Series | undefined => node.series[name];
const spark = (label: string, s: Series | number[] | undefined) => {
  const values = Array.isArray(s) ? s : s?.values;
  return values && values.length >= 2 ? { label, values } : undefined;
};

/**
 * The live face of one block: what to show for a node of `kind`, given what it reported.
 * Returns null when the node has reported nothing.
 * @example liveDisplay('loss', { metrics: { loss: 2.5 }, series: {}, notices: [] }, { runId: 'r' }, {})!.metrics[0].text // '2.5'
 */
export function liveDisplay(kind: string, node: NodeLive | undefined, ctx: LiveContext, params: Record<string, unknown>): LiveDisplay | null {
  if (!node) return null;
  const m = node.metrics;
  const out: LiveDisplay = {
    metrics: [],
    notices: node.notices,
    ...(node.error ? { error: { message: node.error.message, ...(node.error.field ? { field: node.error.field } : {}) } } : {}),
  };
  const ms = metric('ms', 'time', m.ms, formatMs, 'wall time of this block in the last step');
  switch (kind) {
    case 'dataset':
      out.metrics = [
        ...metric('train_tokens', 'train', m.train_tokens, formatCount, 'tokens in the training split'),
        ...metric('valid_tokens', 'valid', m.valid_tokens, formatCount, 'tokens in the validation split'),
      ];
      break;
    case 'get_batch': {
      const perBatch = Number(params.batch_size) * Number(params.context_length);
      const rates = perBatch > 0 ? (ctx.tokensPerSec ?? []).slice(-60).map((t) => t / perBatch) : [];
      out.metrics = [
        ...metric('batches_per_sec', 'batches/s', rates.at(-1), formatValue, `micro-batches of ${perBatch} tokens per second (the run's token rate)`),
        ...ms,
      ];
      out.spark = spark('batches/s', rates);
      break;
    }
    case 'model':
      out.metrics = [
        ...metric('parameters', 'params', m.parameters, formatCount, 'trainable parameters'),
        ...metric('ms', 'fwd', m.ms, formatMs, 'forward time in the last step (summed over micro-batches)'),
      ];
      out.spark = spark('forward ms', series(node, 'ms'));
      break;
    case 'loss':
      out.metrics = metric('loss', 'loss', m.loss, formatValue, 'training loss of the last step (mean over micro-batches)');
      out.spark = spark('loss', series(node, 'loss'));
      break;
    case 'backward':
      out.metrics = ms;
      out.spark = spark('ms', series(node, 'ms'));
      break;
    case 'clip': {
      const clipped = series(node, 'clipped')?.values ?? [];
      out.metrics = [
        ...metric('grad_norm', 'grad norm', m.grad_norm, formatValue, 'global L2 norm of the gradients before clipping'),
        ...(clipped.length
          ? metric(
              'clipped',
              'clipped',
              mean(clipped),
              (v) => `${Math.round(v * 100)}%`,
              `share of the last ${clipped.length} steps whose gradients were clipped`,
            )
          : []),
      ];
      out.spark = spark('grad norm', series(node, 'grad_norm'));
      break;
    }
    case 'optimizer': {
      const ratioKey = Object.keys(m).find((k) => /update.*ratio|ratio/.test(k));
      out.metrics = [
        ...metric('lr', 'lr', m.lr, formatValue, 'learning rate of the last update'),
        ...(ratioKey ? metric(ratioKey, 'upd/param', m[ratioKey], formatValue, 'update size relative to parameter size') : []),
        ...ms,
      ];
      out.spark = ratioKey ? spark('upd/param', series(node, ratioKey)) : spark('lr', series(node, 'lr'));
      break;
    }
    case 'scheduler':
      out.metrics = metric('lr', 'lr', m.lr, formatValue, 'learning rate for the next update');
      out.spark = spark('lr', series(node, 'lr'));
      break;
    case 'eval':
      out.metrics = metric('val_loss', 'val loss', m.val_loss, formatValue, 'mean loss on validation batches at the last evaluation');
      out.spark = spark('val loss', series(node, 'val_loss'));
      break;
    case 'checkpoint':
      if (node.checkpoint) {
        const { name, bytes, step } = node.checkpoint;
        out.checkpoint = { name, bytes, step, href: `/api/runs/${encodeURIComponent(ctx.runId)}/checkpoints/${encodeURIComponent(name)}` };
      }
      break;
    case 'sample':
      if (node.sample) out.sample = { text: node.sample.text, step: node.sample.step };
      break;
    case 'log':
      out.metrics = metric('lines', 'lines', m.lines, formatCount, 'lines written to train_log.jsonl');
      break;
    default: {
      // A kind this table does not know: its first numbers, then ms.
      const names = Object.keys(m)
        .filter((k) => k !== 'ms')
        .slice(0, 2);
      out.metrics = [...names.flatMap((k) => metric(k, k, m[k], formatValue, k)), ...ms];
      out.spark = names[0] ? spark(names[0], series(node, names[0])) : undefined;
    }
  }
  if (!out.spark) delete out.spark;
  return out;
}
