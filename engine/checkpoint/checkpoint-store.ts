// Where checkpoints live, behind one small interface so runtimes don't care: a directory on disk
// (engine/node/checkpoint-dir.ts), memory in tests and the browser (below). A checkpoint is a
// weights blob (a safetensors file, see safetensors.ts) plus JSON metadata; the metadata is the
// commit marker, so a checkpoint without it does not exist.

/** One complete checkpoint. */
export interface CheckpointEntry {
  name: string; // e.g. 'ckpt-000100'
  step: number; // optimizer step it was taken at (meta.step, else the number at the end of the name)
  bytes: number; // size of the weights blob in bytes
}

/** Checkpoint storage used by runtimes. Implementations must make `save` all-or-nothing. */
export interface CheckpointStore {
  /** Atomically save one checkpoint: weights file then metadata; a checkpoint exists only once its metadata is written. */
  save(name: string, weights: Uint8Array, meta: unknown): Promise<CheckpointEntry>;
  /** Complete checkpoints only, sorted by step ascending (then name). */
  list(): Promise<CheckpointEntry[]>;
  /** Rejects if `name` is missing or incomplete. */
  load(name: string): Promise<{ weights: Uint8Array; meta: unknown }>;
  /** Removes a checkpoint; removing one that does not exist is not an error. */
  remove(name: string): Promise<void>;
}

/**
 * Canonical checkpoint name for a step, zero-padded to at least 6 digits so names sort by step.
 * @example checkpointName(100) // 'ckpt-000100'
 */
export function checkpointName(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`checkpointName: step must be a non-negative integer, got ${step}`);
  return `ckpt-${String(step).padStart(6, '0')}`;
}

// Names become file names, so keep them to a portable, traversal-free alphabet.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/**
 * Throws unless `name` is usable as a checkpoint name (letters, digits, `_ . -`, no leading dot,
 * not containing '.tmp-', which marks in-progress files).
 */
export function checkCheckpointName(name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.includes('.tmp-')) {
    throw new Error(`invalid checkpoint name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-' (e.g. ${checkpointName(100)})`);
  }
}

/**
 * The step a checkpoint belongs to: `meta.step` when it is a non-negative integer, else the
 * number the name ends with ('ckpt-000100' -> 100). Throws if neither exists, since list()
 * could not order it.
 */
export function checkpointStep(name: string, meta: unknown): number {
  if (meta !== null && typeof meta === 'object' && 'step' in meta) {
    const step = (meta as { step: unknown }).step;
    if (Number.isSafeInteger(step) && (step as number) >= 0) return step as number;
  }
  const m = /(\d+)$/.exec(name);
  if (m) return Number(m[1]);
  throw new Error(`checkpoint ${JSON.stringify(name)}: cannot tell its step (give meta.step or end the name with the step number)`);
}

/**
 * `meta` as JSON text, rejecting values JSON cannot carry (undefined, functions, cycles, bigint)
 * so a bad meta fails at save time, not at resume time.
 */
export function metaToJson(name: string, meta: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(meta, null, 2);
  } catch (err) {
    throw new Error(`checkpoint ${name}: metadata is not JSON-serialisable (${(err as Error).message})`);
  }
  if (text === undefined) throw new Error(`checkpoint ${name}: metadata is not JSON-serialisable (got ${typeof meta})`);
  return text;
}

/** Sorts entries by step, then name, as list() promises. */
export function sortEntries(entries: CheckpointEntry[]): CheckpointEntry[] {
  return entries.sort((a, b) => a.step - b.step || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Keep the newest `keepLast` checkpoints (by step), remove older ones. Returns the removed names.
 * `keepLast` must be a positive integer (or Infinity to keep everything): keeping zero would
 * delete the checkpoint that was just written.
 * @example
 *   await store.save(checkpointName(step), bytes, { step });
 *   await pruneCheckpoints(store, 3);
 */
export async function pruneCheckpoints(store: CheckpointStore, keepLast: number): Promise<string[]> {
  if (keepLast !== Infinity && (!Number.isSafeInteger(keepLast) || keepLast < 1)) {
    throw new RangeError(`pruneCheckpoints: keepLast must be a positive integer or Infinity, got ${keepLast}`);
  }
  const entries = await store.list();
  const doomed = entries.slice(0, Math.max(0, entries.length - keepLast)).map((e) => e.name);
  for (const name of doomed) await store.remove(name);
  return doomed;
}

/**
 * A CheckpointStore in memory, for tests and the browser (where a download button reads from it).
 * Weights are copied in and out, and meta round-trips through JSON, so it behaves like a disk.
 * @example
 *   const store = memoryCheckpointStore();
 *   await store.save('ckpt-000010', bytes, { step: 10 });
 *   (await store.list()).map((e) => e.name); // ['ckpt-000010']
 */
export function memoryCheckpointStore(): CheckpointStore {
  const saved = new Map<string, { weights: Uint8Array; metaJson: string; step: number }>();
  return {
    async save(name, weights, meta) {
      checkCheckpointName(name);
      const metaJson = metaToJson(name, meta);
      const step = checkpointStep(name, meta);
      saved.set(name, { weights: weights.slice(), metaJson, step });
      return { name, step, bytes: weights.byteLength };
    },
    async list() {
      return sortEntries([...saved].map(([name, c]) => ({ name, step: c.step, bytes: c.weights.byteLength })));
    },
    async load(name) {
      const c = saved.get(name);
      if (!c) throw new Error(`no checkpoint named ${JSON.stringify(name)} (have: ${[...saved.keys()].join(', ') || 'none'})`);
      return { weights: c.weights.slice(), meta: JSON.parse(c.metaJson) };
    },
    async remove(name) {
      saved.delete(name);
    },
  };
}
