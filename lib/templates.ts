// The pipelines the studio offers under Templates, read from pipelines/*.json at build time.
import adamwVsSgd from '../pipelines/adamw-vs-sgd.json';
import gpt2 from '../pipelines/gpt2.json';
import llama from '../pipelines/llama.json';
import seed from '../pipelines/seed.json';
import smoke from '../pipelines/smoke.json';
import { loadDocumentValue, type Pipeline } from './document';

export interface Template {
  id: string;
  title: string;
  blurb: string;
  doc: Pipeline;
}

function load(raw: unknown, id: string): Pipeline {
  const result = loadDocumentValue(raw);
  // A bundled template that does not load is a bug in the repository, not a user error.
  if (!result.ok) throw new Error(`template ${id}: ${result.message}`);
  return result.doc;
}

export const TEMPLATES: readonly Template[] = [
  { id: 'seed', title: 'Seed: byte-level GPT', blurb: 'The classic loop on the Brown corpus', doc: load(seed, 'seed') },
  { id: 'smoke', title: 'Smoke test', blurb: 'Tiny model, 20 steps', doc: load(smoke, 'smoke') },
  { id: 'adamw-vs-sgd', title: 'AdamW vs SGD', blurb: 'Two models, same batches, two optimizers', doc: load(adamwVsSgd, 'adamw-vs-sgd') },
  { id: 'gpt2', title: 'GPT-2 style model', blurb: 'LayerNorm, learned positions, GELU, tied head', doc: load(gpt2, 'gpt2') },
  { id: 'llama', title: 'Llama style model', blurb: 'RMSNorm, RoPE, SwiGLU, grouped-query attention, untied head', doc: load(llama, 'llama') },
];

/** The pipeline a first visit shows. */
export const SEED_DOCUMENT: Pipeline = TEMPLATES[0].doc;
