// Prompts to a torch run between two steps (POST /api/runs/:id/sample without a checkpoint): the
// prompt is encoded here with the run's tokenizer and appended as a line of the run folder's
// sample-requests.jsonl; train.py reads it before its next step, continues it with a generator of
// its own and writes sample-answers/<id>.json whole (atomic rename), which is waited for here and
// decoded. Tokenizing stays in the engine (one implementation for every executor); train.py only
// produces token ids.
import { randomUUID } from 'node:crypto';
import { access, appendFile, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ByteTokenizer } from '../../engine/data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../../engine/data/tokenize/tokenizer';
import type { TorchConfig } from '../../engine/export/torch/export';
import { promptIds, sampleSettings, type SampleAnswer, type SampleRequest } from '../../engine/runtime/ask';
import { ENDED_SAMPLE } from './commands';
import { RunActionError } from './refusals';

export const SAMPLE_REQUESTS_FILE = 'sample-requests.jsonl';
export const SAMPLE_ANSWERS_DIR = 'sample-answers';
/** How long a prompt waits for train.py to reach a step boundary (a paused run does not). */
export const PROMPT_TIMEOUT_MS = 60_000;

const TorchAnswer = z.union([
  z.object({ id: z.string(), step: z.number().int().nonnegative(), ids: z.array(z.number().int().nonnegative()).max(4096) }),
  z.object({ id: z.string(), error: z.string().max(10_000) }),
]);

export interface TorchPromptOptions {
  /** The export folder (runs/<id>/torch): config.json, and train.py's status.json once it trains. */
  exportDir: string;
  /** train.py's status.json: present once train.py has begun (requests before that would be skipped). */
  statusFile: string;
  /** How often the answer file is looked for (ms). */
  pollMs: number;
  timeoutMs?: number;
}

export class TorchPrompts {
  private reading: Promise<{ tokenizer: Tokenizer; vocabSize: number }> | undefined;
  private readonly sleepers = new Set<() => void>();
  private ended = false;

  constructor(private readonly runDir: string, private readonly options: TorchPromptOptions) {}

  /** Text after `request.prompt` from the run's weights at its next step boundary. */
  async ask(request: SampleRequest): Promise<SampleAnswer> {
    if (this.ended) return ENDED_SAMPLE;
    if (!(await exists(this.options.statusFile))) return { error: 'the run is still starting (train.py has not begun its steps); ask again in a moment' };
    const { tokenizer, vocabSize } = await (this.reading ??= runTokenizer(this.options.exportDir));
    const prompt = promptIds(tokenizer, request.prompt, vocabSize);
    if ('error' in prompt) return prompt;
    const id = randomUUID();
    const timeoutMs = this.options.timeoutMs ?? PROMPT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const { temperature, topK, seed } = sampleSettings(request);
    const line = { id, prompt_ids: prompt.ids, max_new_tokens: request.maxNewTokens, temperature, top_k: topK, seed, expires_at: deadline / 1000 };
    await appendFile(join(this.runDir, SAMPLE_REQUESTS_FILE), JSON.stringify(line) + '\n');
    const reply = await this.answerOf(id, deadline);
    if (reply === 'ended') return ENDED_SAMPLE;
    if (reply === 'late') {
      throw new RunActionError(504, `train.py did not answer the prompt within ${timeoutMs / 1000} s (it answers between two steps: is the run paused, or are its steps that long?)`);
    }
    if ('error' in reply) return { error: reply.error };
    return { text: request.prompt + tokenizer.decode(reply.ids), step: reply.step };
  }

  /** The run has ended: prompts still waiting are answered so once their file is not there. */
  end(): void {
    this.ended = true;
    for (const wake of [...this.sleepers]) wake();
  }

  private async answerOf(id: string, deadline: number): Promise<z.infer<typeof TorchAnswer> | { error: string } | 'ended' | 'late'> {
    const path = join(this.runDir, SAMPLE_ANSWERS_DIR, `${id}.json`);
    for (;;) {
      const ended = this.ended; // read before the file: an answer written just before the end still counts
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        await rm(path, { force: true });
        const parsed = TorchAnswer.safeParse(safeJson(text));
        return parsed.success && parsed.data.id === id ? parsed.data : { error: 'train.py wrote an answer that cannot be read' };
      }
      if (ended) return 'ended';
      if (Date.now() >= deadline) return 'late';
      await this.sleep(Math.min(this.options.pollMs, deadline - Date.now()));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        done();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/**
 * The tokenizer train.py's data was made with: tokenizer.json beside the train ids, as the engine's
 * dataset node finds it (bytes when there is none), and the model's vocabulary size.
 */
async function runTokenizer(exportDir: string): Promise<{ tokenizer: Tokenizer; vocabSize: number }> {
  const config = JSON.parse(await readFile(join(exportDir, 'config.json'), 'utf8')) as TorchConfig;
  const json = await readFile(join(dirname(resolve(exportDir, config.data.train_path)), 'tokenizer.json'), 'utf8').then(JSON.parse, () => undefined);
  return { tokenizer: json !== undefined ? await loadTokenizer(json) : new ByteTokenizer(), vocabSize: config.model.vocab_size };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
