// GPT model configuration and its validation (shared by the tfjs model and the PyTorch exporter).

/** Hyper-parameters of the decoder-only transformer in gpt.ts. Plain values, serialisable. */
export interface GptConfig {
  vocabSize: number; // tokens in the vocabulary (V)
  contextLength: number; // max sequence length in tokens (T)
  dModel: number; // residual stream width (C)
  nLayers: number; // transformer blocks
  nHeads: number; // attention heads; head size hs = dModel / nHeads, must be even for RoPE
  dFF: number; // hidden width of the feed-forward layer (F)
  ropeTheta: number; // RoPE base, e.g. 10000
  norm: 'rmsnorm' | 'layernorm'; // normalisation used before attention, ffn and the head
  ffn: 'swiglu' | 'gelu'; // feed-forward flavour
  tieEmbeddings: boolean; // true: logits = h @ wte^T, no separate lm_head
  normEps?: number; // epsilon inside the norm's square root; default 1e-5
}

/** Default epsilon for RMSNorm and LayerNorm. */
export const DEFAULT_NORM_EPS = 1e-5;

/** One problem with a config, naming the field to fix. */
export interface GptConfigIssue {
  field: keyof GptConfig;
  message: string;
}

const POSITIVE_INT_FIELDS = ['vocabSize', 'contextLength', 'dModel', 'nLayers', 'nHeads', 'dFF'] as const;

/**
 * Lists everything wrong with `c` (empty when valid); the Gpt constructor throws on a non-empty list.
 * @example
 *   validateGptConfig({ ...cfg, dModel: 130, nHeads: 4 });
 *   // [{ field: 'dModel', message: 'dModel (130) must be divisible by nHeads (4)' }]
 */
export function validateGptConfig(c: GptConfig): GptConfigIssue[] {
  const issues: GptConfigIssue[] = [];
  for (const field of POSITIVE_INT_FIELDS) {
    const v = c[field];
    if (!Number.isInteger(v) || v <= 0) issues.push({ field, message: `${field} must be a positive integer, got ${v}` });
  }
  const headsOk = Number.isInteger(c.nHeads) && c.nHeads > 0 && Number.isInteger(c.dModel) && c.dModel > 0;
  if (headsOk) {
    if (c.dModel % c.nHeads !== 0) {
      issues.push({ field: 'dModel', message: `dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads})` });
    } else if ((c.dModel / c.nHeads) % 2 !== 0) {
      issues.push({
        field: 'nHeads',
        message: `head size dModel/nHeads = ${c.dModel / c.nHeads} must be even (RoPE rotates pairs of channels)`,
      });
    }
  }
  if (typeof c.ropeTheta !== 'number' || !Number.isFinite(c.ropeTheta) || c.ropeTheta <= 1) {
    issues.push({ field: 'ropeTheta', message: `ropeTheta must be a finite number > 1, got ${c.ropeTheta}` });
  }
  if (c.norm !== 'rmsnorm' && c.norm !== 'layernorm') {
    issues.push({ field: 'norm', message: `norm must be 'rmsnorm' or 'layernorm', got ${String(c.norm)}` });
  }
  if (c.ffn !== 'swiglu' && c.ffn !== 'gelu') {
    issues.push({ field: 'ffn', message: `ffn must be 'swiglu' or 'gelu', got ${String(c.ffn)}` });
  }
  if (typeof c.tieEmbeddings !== 'boolean') {
    issues.push({ field: 'tieEmbeddings', message: `tieEmbeddings must be a boolean, got ${String(c.tieEmbeddings)}` });
  }
  if (c.normEps !== undefined && !(typeof c.normEps === 'number' && Number.isFinite(c.normEps) && c.normEps > 0)) {
    issues.push({ field: 'normEps', message: `normEps must be a finite number > 0, got ${c.normEps}` });
  }
  return issues;
}
