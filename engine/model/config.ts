// GPT model configuration and its validation (shared by the tfjs model and the PyTorch exporter).

/** Hyper-parameters of the decoder-only transformer in gpt.ts. Plain values, serialisable. */
export interface GptConfig {
  vocabSize: number; // tokens in the vocabulary (V)
  contextLength: number; // max sequence length in tokens (T)
  dModel: number; // residual stream width (C)
  nLayers: number; // transformer blocks
  nHeads: number; // attention (query) heads; head size hs = headDim ?? dModel / nHeads, even for RoPE
  dFF: number; // hidden width of the feed-forward layer (F)
  ropeTheta: number; // RoPE base, e.g. 10000
  norm: 'rmsnorm' | 'layernorm'; // normalisation used around attention, ffn and before the head
  ffn: FfnKind; // feed-forward flavour
  tieEmbeddings: boolean; // true: logits = h @ wte^T, no separate lm_head
  normEps?: number; // epsilon inside the norm's square root; default 1e-5
  // Architecture variants; leaving one out means the default (today's GPT), so older configs keep their meaning.
  positions?: PositionsKind; // default 'rope'; 'learned' adds wpe [T, C] to the embedding
  nKvHeads?: number; // key/value heads, dividing nHeads: < nHeads is GQA, 1 is MQA; default nHeads
  headDim?: number; // width of one head; default dModel / nHeads (then q is [C, nHeads·headDim])
  qkNorm?: boolean; // RMSNorm (learnable [headDim]) on each head's q and k before RoPE; default false
  normPlacement?: NormPlacement; // 'pre' (default): h + f(norm(h)); 'post': norm(h + f(h)); 'none'
  normLearnable?: boolean; // norms carry weight (and layernorm bias); default true
  finalNorm?: boolean; // norm_f before the head; default true
}

export const FFN_KINDS = ['swiglu', 'gelu', 'relu2'] as const;
export type FfnKind = (typeof FFN_KINDS)[number];
export const POSITIONS_KINDS = ['rope', 'learned', 'none'] as const;
export type PositionsKind = (typeof POSITIONS_KINDS)[number];
export const NORM_PLACEMENTS = ['pre', 'post', 'none'] as const;
export type NormPlacement = (typeof NORM_PLACEMENTS)[number];

/** The config with every optional variant field filled with its default. */
export type ResolvedGptConfig = Required<GptConfig>;

/** Fills the optional fields of `c` with their defaults (today's GPT). */
export function resolveGptConfig(c: GptConfig): ResolvedGptConfig {
  return {
    ...c,
    normEps: c.normEps ?? DEFAULT_NORM_EPS,
    positions: c.positions ?? 'rope',
    nKvHeads: c.nKvHeads ?? c.nHeads,
    headDim: c.headDim ?? (c.nHeads > 0 ? c.dModel / c.nHeads : NaN),
    qkNorm: c.qkNorm ?? false,
    normPlacement: c.normPlacement ?? 'pre',
    normLearnable: c.normLearnable ?? true,
    finalNorm: c.finalNorm ?? true,
  };
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
  issues.push(...headIssues(c));
  if (typeof c.ropeTheta !== 'number' || !Number.isFinite(c.ropeTheta) || c.ropeTheta <= 1) {
    issues.push({ field: 'ropeTheta', message: `ropeTheta must be a finite number > 1, got ${c.ropeTheta}` });
  }
  if (c.norm !== 'rmsnorm' && c.norm !== 'layernorm') {
    issues.push({ field: 'norm', message: `norm must be 'rmsnorm' or 'layernorm', got ${String(c.norm)}` });
  }
  if (!FFN_KINDS.includes(c.ffn)) {
    issues.push({ field: 'ffn', message: `ffn must be one of ${FFN_KINDS.join(', ')}, got ${String(c.ffn)}` });
  }
  issues.push(...variantIssues(c));
  if (typeof c.tieEmbeddings !== 'boolean') {
    issues.push({ field: 'tieEmbeddings', message: `tieEmbeddings must be a boolean, got ${String(c.tieEmbeddings)}` });
  }
  if (c.normEps !== undefined && !(typeof c.normEps === 'number' && Number.isFinite(c.normEps) && c.normEps > 0)) {
    issues.push({ field: 'normEps', message: `normEps must be a finite number > 0, got ${c.normEps}` });
  }
  return issues;
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Head counts and widths: q heads split d_model (unless headDim is set), kv heads split q heads, RoPE needs even heads. */
function headIssues(c: GptConfig): GptConfigIssue[] {
  const issues: GptConfigIssue[] = [];
  if (!isPositiveInt(c.nHeads) || !isPositiveInt(c.dModel)) return issues;
  if (c.headDim !== undefined && !isPositiveInt(c.headDim)) {
    return [{ field: 'headDim', message: `headDim must be a positive integer, got ${c.headDim}` }];
  }
  if (c.headDim === undefined && c.dModel % c.nHeads !== 0) {
    return [{ field: 'dModel', message: `dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads})` }];
  }
  const hs = c.headDim ?? c.dModel / c.nHeads;
  if ((c.positions ?? 'rope') === 'rope' && hs % 2 !== 0) {
    const what = c.headDim === undefined ? 'head size dModel/nHeads' : 'headDim';
    issues.push({ field: c.headDim === undefined ? 'nHeads' : 'headDim', message: `${what} = ${hs} must be even (RoPE rotates pairs of channels)` });
  }
  if (c.nKvHeads !== undefined) {
    if (!isPositiveInt(c.nKvHeads)) issues.push({ field: 'nKvHeads', message: `nKvHeads must be a positive integer, got ${c.nKvHeads}` });
    else if (c.nHeads % c.nKvHeads !== 0) {
      issues.push({ field: 'nKvHeads', message: `nHeads (${c.nHeads}) must be divisible by nKvHeads (${c.nKvHeads})` });
    }
  }
  return issues;
}

/** The optional variant fields: known values only. */
function variantIssues(c: GptConfig): GptConfigIssue[] {
  const issues: GptConfigIssue[] = [];
  const oneOf = <T extends string>(field: keyof GptConfig, value: T | undefined, options: readonly T[]) => {
    if (value !== undefined && !options.includes(value)) {
      issues.push({ field, message: `${field} must be one of ${options.join(', ')}, got ${String(value)}` });
    }
  };
  oneOf('positions', c.positions, POSITIONS_KINDS);
  oneOf('normPlacement', c.normPlacement, NORM_PLACEMENTS);
  for (const field of ['qkNorm', 'normLearnable', 'finalNorm'] as const) {
    const v = c[field];
    if (v !== undefined && typeof v !== 'boolean') issues.push({ field, message: `${field} must be a boolean, got ${String(v)}` });
  }
  return issues;
}
