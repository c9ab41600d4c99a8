// Own data for a browser run: a dataset block with `source: "files"` reads files the user picks
// when starting the run (the tab cannot read the server's DATA_DIR). Picked files become the
// worker's BrowserDataset: the train and valid .npy named by the block (tokenizer.json and
// meta.json beside them when picked too), or one text file the worker tokenizes.
import type { BrowserDataset } from '../engine/browser/protocol';
import type { Pipeline, PipelineNode } from './document';

/** The dataset block that needs picked files on the browser executor, if any. */
export function datasetNeedingFiles(doc: Pipeline): PipelineNode | undefined {
  return doc.nodes.find((n) => n.type === 'dataset' && n.params.source === 'files');
}

const baseName = (path: unknown, fallback: string) => (typeof path === 'string' && path ? path.split(/[\\/]/).pop()! : fallback);

/** What the picker asks for, for its title and the run panel. */
export function pickPrompt(node: PipelineNode): string {
  const train = baseName(node.params.train_path, 'train_ids.npy');
  const valid = baseName(node.params.valid_path, 'valid_ids.npy');
  return `Pick ${train} and ${valid} (with tokenizer.json and meta.json when you have them), or one text file to tokenize, for ${node.id}`;
}

export type PickedData = { ok: true; data: BrowserDataset; summary: string } | { ok: false; message: string };

/**
 * The worker's dataset from picked files, or what is missing.
 * @example await pickedDataset([trainFile, validFile], datasetNode) // { ok: true, data: { kind: 'files', ... } }
 */
export async function pickedDataset(files: readonly File[], node: PipelineNode): Promise<PickedData> {
  const train = baseName(node.params.train_path, 'train_ids.npy');
  const valid = baseName(node.params.valid_path, 'valid_ids.npy');
  const byName = new Map(files.map((f) => [f.name, f]));
  if (byName.has(train) || byName.has(valid)) {
    const missing = [train, valid].filter((name) => !byName.has(name));
    if (missing.length) return { ok: false, message: `${node.id}: pick ${missing.join(' and ')} too (the block reads ${train} and ${valid})` };
    const tokenizer = byName.get('tokenizer.json');
    const meta = byName.get('meta.json');
    return {
      ok: true,
      data: { kind: 'files', train: byName.get(train)!, valid: byName.get(valid)!, ...(tokenizer ? { tokenizer } : {}), ...(meta ? { meta } : {}) },
      summary: [train, valid, tokenizer && 'tokenizer.json', meta && 'meta.json'].filter(Boolean).join(', '),
    };
  }
  const texts = files.filter((f) => !f.name.endsWith('.npy') && !f.name.endsWith('.json'));
  if (files.length === 1 && texts.length === 1) {
    const text = await texts[0].text();
    if (!text.length) return { ok: false, message: `${node.id}: ${texts[0].name} is empty` };
    return { ok: true, data: { kind: 'text', text, tokenizer: tokenizerOf(node), ...vocabOf(node) }, summary: `${texts[0].name}, tokenized in this tab` };
  }
  return { ok: false, message: `${node.id}: pick ${train} and ${valid}, or one text file (got ${files.map((f) => f.name).join(', ') || 'nothing'})` };
}

function tokenizerOf(node: PipelineNode): 'byte' | 'bpe' | 'gpt2' {
  const t = node.params.tokenizer;
  return t === 'bpe' || t === 'gpt2' ? t : 'byte';
}

function vocabOf(node: PipelineNode): { vocabSize?: number } {
  return tokenizerOf(node) === 'bpe' && typeof node.params.vocab_size === 'number' ? { vocabSize: node.params.vocab_size } : {};
}
