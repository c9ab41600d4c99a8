// A live edit train.py can no longer take (it reads edit-requests.jsonl itself, later than the
// host checked the request): it is refused in train_log.jsonl, read back as a run/edit-refused
// event, and the run trains on; the requests after it still apply.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeTorchExport } from '../../node/torch-export';
import { TorchEventConverter } from './events';
import { loopPipeline, planOf, PYTHON, writeTokenData } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'torch-edit-refused-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const logLines = (runDir: string): Record<string, any>[] =>
  existsSync(join(runDir, 'train_log.jsonl'))
    ? readFileSync(join(runDir, 'train_log.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

async function until(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a training.steps edit that arrives after its step is refused, and the run trains on', async () => {
  const data = writeTokenData(join(dir, 'data'));
  const exportDir = join(dir, 'export');
  await writeTorchExport(planOf(loopPipeline({ data, steps: 100_000, scheduler: null })), exportDir);
  const runDir = join(exportDir, 'run');
  const child = spawn(PYTHON, ['-I', join(exportDir, 'train.py'), '--device', 'cpu'], { cwd: exportDir, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until('step 3', () => logLines(runDir).some((l) => l.step >= 3));
    const requests = join(runDir, 'edit-requests.jsonl');
    appendFileSync(requests, JSON.stringify({ node_id: 'training', params: { steps: 2 } }) + '\n');
    appendFileSync(requests, JSON.stringify({ node_id: 'optimizer', params: { lr: 0.0025 } }) + '\n');
    await until('both answers', () => logLines(runDir).some((l) => l.edited));
    await until('steps after the edits', () => {
      const lines = logLines(runDir);
      const at = lines.find((l) => l.edited)!.step;
      return lines.some((l) => typeof l.loss === 'number' && l.step > at + 2);
    });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')).state, 'stopped', 'stopped by SIGTERM, not failed');

  const lines = logLines(runDir);
  const refused = lines.find((l) => l.edit_refused)!;
  assert.equal(refused.edit_refused.nodeId, 'training');
  assert.equal(refused.edit_refused.message, `steps must be more than the ${refused.step} steps already done`);
  const edited = lines.find((l) => l.edited)!;
  assert.equal(edited.step, refused.step, 'the next request applied at the same step boundary');
  assert.deepEqual(edited.edited, { nodeId: 'optimizer', changes: { lr: [0.001, 0.0025] } });
  assert.match(stderr, new RegExp(`step ${refused.step}: refused an edit of training: steps must be more than`));

  // The studio reads the line as an event on the training node.
  const converter = new TorchEventConverter({ eval: null, checkpoint: null, model: { node_id: 'model' } } as never);
  assert.deepEqual(converter.logLine(JSON.stringify(refused)), [
    { type: 'run/edit-refused', nodeId: 'training', step: refused.step, data: { message: refused.edit_refused.message } },
  ]);
});
