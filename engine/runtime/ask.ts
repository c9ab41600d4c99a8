// Asking a model for text: between two steps of a live run, or from a checkpoint's weights. The
// draws come from an Rng of their own (seeded per request), and the weights are only read, so a run
// that is asked goes on exactly as one that is not.
import { ByteTokenizer } from '../data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../data/tokenize/tokenizer';
import type { Gpt } from '../model/gpt';
import { generateAsync } from '../model/generate';
import type { TokenSplit } from './kinds/dataset';
import { Rng } from '../random';

export interface SampleRequest {
  prompt: string;
  maxNewTokens: number;
  /** Default 0.8; 0 is greedy. */
  temperature?: number;
  /** Default 40; 0 keeps every token. */
  topK?: number;
  /** Seed of the draws; default 7 (the sample node's). */
  seed?: number;
}

export type SampleAnswer = { text: string; step: number } | { error: string };

/** A request the host passes to a live run; `settle` is called once. */
export interface PendingSample extends SampleRequest {
  settle(answer: SampleAnswer): void;
}

/** The model and tokenizer of a run, as built by its nodes. */
export interface SampleSource {
  model: Gpt;
  tokenizer: Tokenizer;
}

/**
 * The first model of a run and the tokenizer of the first dataset that has one (bytes otherwise).
 * `setupOutputs` are the nodes' setup-lifetime outputs by node id.
 */
export async function sampleSource(setupOutputs: ReadonlyMap<string, Record<string, unknown>>): Promise<SampleSource | undefined> {
  let model: Gpt | undefined;
  let tokenizerJson: unknown;
  for (const outputs of setupOutputs.values()) {
    const candidate = outputs.model as Gpt | undefined;
    if (!model && candidate?.config && candidate.params instanceof Map) model = candidate;
    const split = (outputs.train ?? outputs.valid) as TokenSplit | undefined;
    if (tokenizerJson === undefined && split?.tokenizer !== undefined) tokenizerJson = split.tokenizer;
  }
  if (!model) return undefined;
  return { model, tokenizer: tokenizerJson !== undefined ? await loadTokenizer(tokenizerJson) : new ByteTokenizer() };
}

/**
 * Generates text after `request.prompt` (the answer holds the prompt followed by the new text).
 * @example await answer(source, { prompt: 'The ', maxNewTokens: 20 }, 40) // { text: 'The man ...', step: 40 }
 */
export async function answer(source: SampleSource, request: SampleRequest, step: number): Promise<SampleAnswer> {
  const prompt = promptIds(source.tokenizer, request.prompt, source.model.config.vocabSize);
  if ('error' in prompt) return prompt;
  const settings = sampleSettings(request);
  const ids = await generateAsync(source.model, prompt.ids, request.maxNewTokens, {
    temperature: settings.temperature,
    topK: settings.topK,
    rng: new Rng(settings.seed),
  });
  return { text: request.prompt + source.tokenizer.decode(ids), step };
}

/** A request's sampling settings with the defaults filled in (every executor samples with these). */
export function sampleSettings(request: SampleRequest): { temperature: number; topK: number; seed: number } {
  return { temperature: request.temperature ?? 0.8, topK: request.topK ?? 40, seed: request.seed ?? 7 };
}

/**
 * The prompt's token ids (an empty prompt starts from token 0), or why the model cannot read them.
 * @example promptIds(new ByteTokenizer(), 'Hi', 256) // { ids: [72, 105] }
 */
export function promptIds(tokenizer: Pick<Tokenizer, 'encode'>, prompt: string, vocabSize: number): { ids: number[] } | { error: string } {
  const encoded = Array.from(tokenizer.encode(prompt));
  const ids = encoded.length ? encoded : [0];
  const outside = ids.find((id) => id >= vocabSize);
  return outside === undefined ? { ids } : { error: `prompt token ${outside} is outside the model's vocabulary (${vocabSize})` };
}

/** Answers a live run's requests in order; a failure answers that request, not the run. */
export async function answerAll(source: SampleSource | undefined, requests: readonly PendingSample[], step: number): Promise<number> {
  for (const request of requests) {
    if (!source) {
      request.settle({ error: 'this run has no model to sample from' });
      continue;
    }
    try {
      request.settle(await answer(source, request, step));
    } catch (e) {
      request.settle({ error: (e as Error).message });
    }
  }
  return requests.length;
}

/**
 * One answered prompt as a run keeps it (runs/<id>/prompts.jsonl, GET /api/runs/:id/prompts): what
 * was asked, with which settings, what came back, from the weights of which step (and checkpoint,
 * when not the live run's) and when.
 */
export interface PromptRecord {
  prompt: string;
  settings: { max_new_tokens: number; temperature: number; top_k: number };
  text: string;
  step: number;
  /** The checkpoint it was generated from; null for the live run's weights between two steps. */
  checkpoint: string | null;
  /** ISO time of the answer. */
  time: string;
}
