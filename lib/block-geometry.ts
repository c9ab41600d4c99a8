// Where a block and its ports sit without a browser to measure them: a block's size estimated
// from what it draws (port rows, title, summary lines, memory line; see .block in studio.css),
// and each port's anchor on its top (inputs) or bottom (outputs) edge. Auto-layout and the
// edge-routing tests use these; the canvas routes with the sizes and handles it measures.
import { registry } from '../engine/nodes';
import type { Pipeline, PipelineNode } from './document';
import { HANDLE_REACH, type EdgeEnds, type Rect } from './edge-route';
import { DEFAULT_BLOCK_SIZE, type Size } from './flow';
import { formatValue, paramFields } from './param-form';

/** Heights in px at zoom 1, as studio.css draws them (measured in Chromium at 1440×900). */
const ROW = { ports: 19, body: 32, summaryFirst: 19, summaryNext: 17, memory: 19 };
/** What a run adds: a row of numbers (in place of the memory line), a sample box, a checkpoint row. */
const RUN_ROW = { numbers: 21, sample: 43, checkpoint: 40 };
/** Width of the summary area and of one monospace-ish character in it. */
const SUMMARY = { width: 196, char: 6.0, gap: 12 };

/** Lines the summary takes: `key value` pairs (the summary params, then the kind's facts) wrapped into the block's width. */
function summaryLines(node: PipelineNode): number {
  const def = registry.get(node.type);
  if (!def) return 0;
  const fields = paramFields(def.params);
  const pairs: [string, string][] = [
    ...def.summary.map((key): [string, string] => [key, formatValue(key in node.params ? node.params[key] : fields.find((f) => f.key === key)?.default)]),
    ...Object.entries(def.facts?.(node.params as never) ?? {}).map(([key, value]): [string, string] => [key, formatValue(value)]),
  ];
  if (!pairs.length) return 0;
  let lines = 1;
  let used = 0;
  for (const [key, value] of pairs) {
    const width = (key.length + 1 + value.length) * SUMMARY.char;
    if (used > 0 && used + SUMMARY.gap + width > SUMMARY.width) [lines, used] = [lines + 1, width];
    else used += (used > 0 ? SUMMARY.gap : 0) + width;
  }
  return lines;
}

/** Height a run adds to a block of `kind` (its run face replaces the memory line). */
function runExtra(kind: string, memory: number): number {
  if (kind === 'sample') return RUN_ROW.sample;
  if (kind === 'checkpoint') return RUN_ROW.checkpoint;
  return RUN_ROW.numbers - memory;
}

/**
 * A block's size as the canvas draws it, within a few px: at rest, or with `running` while a run
 * shows its numbers (blocks keep that size through the run).
 * @example estimateBlockSize({ id: 'loss', type: 'loss', version: 1, params: {}, position: { x: 0, y: 0 } }) // { width: 220, height: 70 }
 */
export function estimateBlockSize(node: PipelineNode, { running = false } = {}): Size {
  const def = registry.get(node.type);
  if (!def) return DEFAULT_BLOCK_SIZE;
  const rows = (Object.keys(def.inputs).length ? 1 : 0) + (Object.keys(def.outputs).length ? 1 : 0);
  const lines = summaryLines(node);
  const summary = lines ? ROW.summaryFirst + (lines - 1) * ROW.summaryNext : 0;
  const memory = node.type === 'model' || node.type === 'get_batch' ? ROW.memory : 0;
  const height = rows * ROW.ports + ROW.body + summary + memory + (running ? runExtra(node.type, memory) : 0);
  return { width: DEFAULT_BLOCK_SIZE.width, height };
}

/** Estimated sizes of every block of `doc`, by id (at rest, or `running`). */
export function estimateSizes(doc: Pipeline, options: { running?: boolean } = {}): Record<string, Size> {
  return Object.fromEntries(doc.nodes.map((n) => [n.id, estimateBlockSize(n, options)]));
}

/** x of port `index` of `count` in a row spread evenly over the block (.ports: space-around, 6 px padding). */
const portX = (rect: Rect, index: number, count: number) => rect.x + 6 + ((rect.width - 12) * (index + 0.5)) / count;

/**
 * The blocks of `doc` as rectangles and its edges' port-to-port ends, at `positions` (default: the
 * document's own) with `sizes` (default: estimated). Edges whose blocks or ports are unknown are left out.
 */
export function drawingOf(doc: Pipeline, positions?: ReadonlyMap<string, { x: number; y: number }>, sizes = estimateSizes(doc)) {
  const rects = new Map<string, Rect>(doc.nodes.map((n) => [n.id, { ...(positions?.get(n.id) ?? n.position), ...(sizes[n.id] ?? DEFAULT_BLOCK_SIZE) }]));
  const kinds = new Map(doc.nodes.map((n) => [n.id, registry.get(n.type)]));
  const ends: EdgeEnds[] = [];
  for (const e of doc.edges) {
    const [src, dst] = [rects.get(e.source), rects.get(e.target)];
    const outs = Object.keys(kinds.get(e.source)?.outputs ?? {});
    const ins = Object.keys(kinds.get(e.target)?.inputs ?? {});
    const [o, i] = [outs.indexOf(e.sourceHandle), ins.indexOf(e.targetHandle)];
    if (!src || !dst || o < 0 || i < 0) continue;
    ends.push({
      id: e.id,
      from: { x: portX(src, o, outs.length), y: src.y + src.height + HANDLE_REACH },
      to: { x: portX(dst, i, ins.length), y: dst.y - HANDLE_REACH },
    });
  }
  return { rects, ends };
}
