// lib/browser-executor.ts driven end to end in Node: the real worker host (engine/browser/host.ts)
// behind a MessageChannel stands in for the Web Worker (same structured cloning and transfers), on
// the cpu backend. Checkpoint files are compared with what the server's checkpoint store writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../engine/events';
import { inProcessWorker } from './testing/in-process-worker';
import { directoryCheckpointStore } from '../engine/node/checkpoint-dir';
import { checkpointFiles, readCheckpointFiles, startBrowserRun, trainLogFile, type BrowserRunOptions } from './browser-executor';

const SMOKE = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
const TEXT = Array.from({ length: 300 }, (_, i) => `Row ${i % 11}: pack my box with five dozen liquor jugs.`).join('\n') + '\n';
const DATA = { kind: 'text', text: TEXT, tokenizer: 'byte' } as const;

function pipeline(steps: number, checkpointEvery: number) {
  const doc = structuredClone(SMOKE);
  doc.training.steps = steps;
  for (const n of doc.nodes) {
    if (n.id === 'dataset') n.params.source = 'files';
    if (n.id === 'checkpoint') Object.assign(n.params, { every: checkpointEvery, keep_last: 2 });
    if (n.id === 'sample') Object.assign(n.params, { max_new_tokens: 4 });
  }
  return doc;
}

function start(options: Omit<BrowserRunOptions, 'createWorker'>) {
  const seen: string[] = [];
  const events: RunEvent[] = [];
  const run = startBrowserRun({
    backend: 'cpu',
    data: DATA,
    createWorker: inProcessWorker,
    ...options,
    onBackend: (b) => void seen.push(`backend ${b.name}`),
    onEvents: (batch) => {
      seen.push(`events ${batch.length}`);
      events.push(...batch);
      options.onEvents?.(batch);
    },
    onCheckpoint: (c) => void seen.push(`checkpoint ${c.name}`),
  });
  return { run, seen, events };
}

const losses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.data.loss] : []));

test('a run: backend first, batched events, checkpoints kept as keep_last says, log lines, result', async () => {
  const { run, seen, events } = start({ pipeline: pipeline(6, 2) });
  const result = await run.done;
  assert.equal(result.status, 'completed');
  assert.equal(result.backend, 'cpu');
  assert.equal(seen[0], 'backend cpu');
  assert.deepEqual(
    seen.filter((s) => s.startsWith('checkpoint')),
    ['checkpoint ckpt-000002', 'checkpoint ckpt-000004', 'checkpoint ckpt-000006'],
  );
  assert.ok(seen.filter((s) => s.startsWith('events')).length < events.length, 'events come in batches');
  assert.deepEqual([...run.checkpoints.keys()], ['ckpt-000004', 'ckpt-000006']); // ckpt-000002 pruned
  assert.equal(run.logLines.length, 6);
  assert.equal(JSON.parse(run.logLines[5]).step, 6);
  assert.equal(run.sampleLines.length, 1); // sample: every 10 steps and the last one
  assert.equal(events[0].type, 'run/started');
  assert.equal(events.at(-1)!.type, 'run/finished');
  assert.equal(result.memory.numTensors.length, 6);
});

test("checkpoint files are the server's files; uploading them resumes the run exactly", async () => {
  const first = start({ pipeline: pipeline(6, 3) });
  await first.run.done;
  const ckpt = first.run.checkpoints.get('ckpt-000003')!;
  const [weightsFile, metaFile] = checkpointFiles(ckpt);
  assert.deepEqual([weightsFile.name, metaFile.name], ['ckpt-000003.safetensors', 'ckpt-000003.json']);

  const dir = await mkdtemp(join(tmpdir(), 'browser-ckpt-'));
  try {
    await directoryCheckpointStore(dir).save(ckpt.name, new Uint8Array(ckpt.weights), ckpt.meta);
    assert.deepEqual(new Uint8Array(await weightsFile.arrayBuffer()), new Uint8Array(await readFile(join(dir, 'ckpt-000003.safetensors'))));
    assert.equal(await metaFile.text(), await readFile(join(dir, 'ckpt-000003.json'), 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const resume = await readCheckpointFiles([metaFile, weightsFile]);
  assert.deepEqual([resume.name, resume.step], ['ckpt-000003', 3]);
  const second = start({ pipeline: pipeline(6, 3), resume });
  assert.equal((await second.run.done).status, 'completed');
  assert.deepEqual(losses(second.events), losses(first.events).slice(3));
  assert.equal(resume.weights.byteLength, ckpt.weights.byteLength, 'the caller keeps its buffer (a copy is sent)');
});

test('readCheckpointFiles refuses incomplete or foreign uploads', async () => {
  const meta = (name: string, body: unknown) => new File([JSON.stringify(body)], name);
  const weights = new File([new Uint8Array(8)], 'ckpt-000001.safetensors');
  const ok = { format: 'pretrain-studio-checkpoint', formatVersion: 1, step: 1 };
  await assert.rejects(readCheckpointFiles([weights]), /choose both files/);
  await assert.rejects(readCheckpointFiles([weights, meta('ckpt-000002.json', ok)]), /are not the same checkpoint/);
  await assert.rejects(readCheckpointFiles([weights, new File(['{'], 'ckpt-000001.json')]), /ckpt-000001\.json is not valid JSON/);
  await assert.rejects(readCheckpointFiles([weights, meta('ckpt-000001.json', { step: 1 })]), /not a Pretrain Studio checkpoint/);
  assert.equal((await readCheckpointFiles([weights, meta('ckpt-000001.json', ok)])).step, 1);
});

test('stop ends the run as stopped; terminate ends it at once with a run/finished event', async () => {
  let stopped = false;
  const a = start({
    pipeline: pipeline(200, 1000),
    onEvents: (batch) => {
      if (!stopped && batch.some((e) => e.type === 'step')) {
        stopped = true;
        a.run.stop();
      }
    },
  });
  const result = await a.run.done;
  assert.equal(result.status, 'stopped');
  assert.ok(result.step < 200);

  const b = start({ pipeline: pipeline(200, 1000) });
  b.run.terminate();
  const killed = await b.run.done;
  assert.equal(killed.status, 'stopped');
  assert.deepEqual(b.events.map((e) => e.type).slice(-1), ['run/finished']);
});

test('trainLogFile is train_log.jsonl', async () => {
  const file = trainLogFile(['{"step":1}', '{"step":2}']);
  assert.equal(file.name, 'train_log.jsonl');
  assert.equal(await file.text(), '{"step":1}\n{"step":2}\n');
});
