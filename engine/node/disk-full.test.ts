// A disk that fills up while a real run saves its second checkpoint (nodeIO's checkpoint store
// with a writeAll that fails with ENOSPC half-way): the run fails with an error on the checkpoint
// node that says the disk is full, the first checkpoint stays complete and loadable, and resuming
// from it reproduces the uninterrupted run's losses. Nothing is lost but the steps after it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSafetensors } from '../checkpoint/safetensors';
import { compile } from '../compiler/compile';
import { encodeNpy } from '../data/npy';
import { collectEvents, type RunEvent } from '../events';
import { Rng } from '../random';
import { runPlan } from '../runtime/run';
import { useBackend } from './backend';
import { readCheckpointFile } from './checkpoint-dir';
import { nodeIO } from './io';

/** A noisy cycle over 32 ids (as in engine/runtime/run.test.ts). */
function syntheticIds(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.9 ? (ids[i - 1] * 5 + 3) % 32 : rng.index(32);
  return ids;
}

function smokePlan(steps: number) {
  const doc = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
  const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: any) => n.id === id).params, params);
  doc.training.steps = steps;
  set('dataset', { source: 'files', train_path: 'train_ids.npy', valid_path: 'valid_ids.npy' });
  set('model', { vocab_size: 32 });
  set('sample', { prompt: '', every: 1000 });
  set('checkpoint', { every: 2, keep_last: 5 });
  const compiled = compile(doc);
  assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.diagnostics));
  return compiled.plan;
}

const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [[e.step, e.data.loss] as const] : []));

test('a full disk on the 2nd checkpoint: a clear error on the checkpoint node, the 1st checkpoint intact', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'disk-full-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'train_ids.npy'), encodeNpy(syntheticIds(20_000, 1)));
  writeFileSync(join(data, 'valid_ids.npy'), encodeNpy(syntheticIds(4_000, 2)));
  const backendName = await useBackend('cpu');
  const plan = smokePlan(8);

  // Each save writes two files (weights, then metadata): write number 2 is the 2nd save's weights.
  let writes = 0;
  const writeAll = async (handle: FileHandle, bytes: Uint8Array) => {
    if (writes++ === 2) {
      await handle.write(bytes, 0, bytes.length >> 1); // half of it reaches the disk, then it is full
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    await handle.writeFile(bytes);
  };
  const outDir = join(root, 'run');
  const io = nodeIO({ outDir, baseDir: data, dataRoots: [data], checkpointStore: { writeAll } });
  const sink = collectEvents();
  const result = await runPlan({ plan, io, sink, backendName });
  await io.close();

  assert.equal(result.status, 'failed');
  const error = sink.events.find((e) => e.type === 'error');
  assert.ok(error?.type === 'error', 'an error event');
  assert.equal(error.nodeId, 'checkpoint');
  assert.match(error.data.message, /could not save checkpoint ckpt-000004/);
  assert.match(error.data.message, /the disk is full/);
  assert.match(error.data.message, /no space left on device/);
  assert.equal(result.error?.nodeId, 'checkpoint');
  assert.equal(sink.events.at(-1)!.type, 'run/finished');

  // The first checkpoint is whole, and the failed save left nothing behind.
  const checkpoints = join(outDir, 'checkpoints');
  assert.deepEqual(readdirSync(checkpoints).sort(), ['ckpt-000002.json', 'ckpt-000002.safetensors']);
  const kept = await readCheckpointFile(checkpoints);
  assert.equal(kept.name, 'ckpt-000002');
  assert.equal((kept.meta as { step: number }).step, 2);
  assert.ok(decodeSafetensors(kept.weights).tensors.size > 0);

  // Resumed on a disk with room, the run continues exactly as if nothing had happened.
  const reference = collectEvents();
  const full = nodeIO({ outDir: join(root, 'reference'), baseDir: data, dataRoots: [data] });
  await runPlan({ plan, io: full, sink: reference, backendName });
  await full.close();
  const resumedIO = nodeIO({ outDir, baseDir: data, dataRoots: [data] });
  const resumed = collectEvents();
  const again = await runPlan({ plan, io: resumedIO, sink: resumed, backendName, resume: { name: kept.name, weights: kept.weights, meta: kept.meta } });
  await resumedIO.close();
  assert.equal(again.status, 'completed');
  assert.deepEqual(
    losses(resumed.events),
    losses(reference.events).filter(([s]) => s > 2),
  );
});
