// prompts.jsonl: answers appended and listed newest last, a torn or foreign line left out.
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../test-support';
import { PROMPTS_FILE, readPrompts, recordPrompt } from './prompts';

test('answers are listed oldest first, the newest `limit` of them; torn and foreign lines are skipped', async () => {
  const dir = await tempDir('studio-prompts-');
  assert.deepEqual(await readPrompts(dir.path), [], 'no file: no answers');
  const answer = (i: number) => ({
    prompt: `p${i}`, settings: { max_new_tokens: 8, temperature: 0.8, top_k: 40 }, text: `p${i} ok`, step: i, checkpoint: i % 2 ? `ckpt-00000${i}` : null, time: new Date(i * 1000).toISOString(),
  });
  for (let i = 0; i < 5; i++) await recordPrompt(dir.path, answer(i));
  await appendFile(join(dir.path, PROMPTS_FILE), '{"prompt": "no text"}\n{"prompt": "torn", "te');
  assert.deepEqual(await readPrompts(dir.path), [0, 1, 2, 3, 4].map(answer));
  assert.deepEqual(await readPrompts(dir.path, 2), [answer(3), answer(4)]);
  await dir.remove();
});
