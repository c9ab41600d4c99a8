// TorchPrompts' side of the file protocol with train.py (the real exchange is in
// server/torch-fork.test.ts): what is written, how answers are decoded, and the refusals.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../test-support';
import { RunActionError } from './refusals';
import { SAMPLE_ANSWERS_DIR, SAMPLE_REQUESTS_FILE, TorchPrompts } from './torch-prompts';

async function runFolder(options: { started: boolean }) {
  const dir = await tempDir('studio-torch-prompts-');
  const exportDir = join(dir.path, 'torch');
  await mkdir(join(exportDir, 'data'), { recursive: true });
  await writeFile(join(exportDir, 'config.json'), JSON.stringify({ data: { train_path: 'data/train_ids.npy' }, model: { vocab_size: 120 } }));
  if (options.started) await writeFile(join(exportDir, 'status.json'), '{}');
  const prompts = new TorchPrompts(dir.path, { exportDir, statusFile: join(exportDir, 'status.json'), pollMs: 5, timeoutMs: 300 });
  return { dir, prompts };
}

/** What train.py does with the next request line: answers it with `reply(request)`. */
async function answerNext(runDir: string, reply: (request: any) => object): Promise<any> {
  const request = await waitForLine(join(runDir, SAMPLE_REQUESTS_FILE));
  await mkdir(join(runDir, SAMPLE_ANSWERS_DIR), { recursive: true });
  await writeFile(join(runDir, SAMPLE_ANSWERS_DIR, `${request.id}.json`), JSON.stringify({ id: request.id, ...reply(request) }));
  return request;
}

async function waitForLine(path: string): Promise<any> {
  for (let i = 0; i < 2000; i++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.endsWith('\n')) return JSON.parse(text.trim().split('\n').at(-1)!);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('no request line');
}

test('a prompt goes out as token ids with its settings; the answer\'s ids come back as text after the prompt', async () => {
  const { dir, prompts } = await runFolder({ started: true });
  const [answer, request] = await Promise.all([
    prompts.ask({ prompt: 'Hi', maxNewTokens: 3, temperature: 0 }),
    answerNext(dir.path, () => ({ step: 41, ids: [32, 121, 111] })),
  ]);
  assert.deepEqual(answer, { text: 'Hi yo', step: 41 });
  const { id: _id, expires_at: _expires, ...settings } = request;
  assert.deepEqual(settings, { prompt_ids: [72, 105], max_new_tokens: 3, temperature: 0, top_k: 40, seed: 7 });
  assert.ok(request.expires_at > Date.now() / 1000, 'train.py skips a request nobody waits for any more');
  await dir.remove();
});

test('refusals: a token outside the vocabulary, train.py\'s error, no answer in time, a run still starting, a run that ended', async () => {
  const { dir, prompts } = await runFolder({ started: true });
  assert.deepEqual(await prompts.ask({ prompt: 'az', maxNewTokens: 1 }), { error: 'prompt token 122 is outside the model\'s vocabulary (120)' });
  const [failed] = await Promise.all([prompts.ask({ prompt: 'a', maxNewTokens: 1 }), answerNext(dir.path, () => ({ error: 'prompt: bad' }))]);
  assert.deepEqual(failed, { error: 'prompt: bad' });
  await assert.rejects(prompts.ask({ prompt: 'a', maxNewTokens: 1 }), (e: RunActionError) => e.status === 504 && /did not answer the prompt within 0.3 s/.test(e.message));
  const waiting = prompts.ask({ prompt: 'a', maxNewTokens: 1 });
  await waitForLine(join(dir.path, SAMPLE_REQUESTS_FILE));
  prompts.end();
  assert.deepEqual(await waiting, { error: 'the run ended before it could answer' });
  await dir.remove();
  const starting = await runFolder({ started: false });
  assert.match((await starting.prompts.ask({ prompt: 'a', maxNewTokens: 1 }) as { error: string }).error, /still starting/);
  await starting.dir.remove();
});
