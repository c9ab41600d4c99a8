// Live edits of a torch run as the server waits for them: each request goes to
// edit-requests.jsonl, and train.py's answers (an applied edit, or one it refused) settle them
// first in, first out; a run that ends settles the rest.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EDIT_REQUESTS_FILE, TorchCommands } from './torch-commands';
import { TorchPrompts } from './torch-prompts';

test('requests are written in order; applied, refused and ended answers settle them in that order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'torch-commands-'));
  try {
    const prompts = new TorchPrompts(dir, { exportDir: dir, statusFile: join(dir, 'status.json'), pollMs: 10 });
    const commands = new TorchCommands(dir, prompts);
    const first = commands.edit({ nodeId: 'training', params: { steps: 3 } }, { steps: [100, 3] });
    const second = commands.edit({ nodeId: 'scheduler', params: { lr: 0.002 } }, { lr: [0.001, 0.002] });
    const third = commands.edit({ nodeId: 'model', params: { inspect_every: 5 } }, { inspect_every: [20, 5] });
    const written = async () => (await readFile(join(dir, EDIT_REQUESTS_FILE), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    for (let tries = 0; (await written()).length < 3 && tries < 200; tries++) await new Promise((r) => setTimeout(r, 10));
    const lines = (await written()).map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.node_id),
      ['training', 'scheduler', 'model'],
    );

    commands.observe([
      { type: 'run/edit-refused', nodeId: 'training', step: 7, data: { message: 'steps must be more than the 7 steps already done' } },
      { type: 'run/edited', nodeId: 'scheduler', step: 7, data: { changes: { lr: [0.001, 0.002] } } },
    ]);
    assert.deepEqual(await first, {
      status: 400,
      error: 'training: steps must be more than the 7 steps already done',
      errors: [{ nodeId: 'training', message: 'steps must be more than the 7 steps already done' }],
    });
    assert.deepEqual(await second, { appliedAtStep: 7 });
    commands.end();
    assert.equal(((await third) as { status: number }).status, 409);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
