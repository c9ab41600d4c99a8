// The GPT's parameters by name and shape, in the canonical order (engine/model/gpt.ts builds the
// model from them; checkpoints, the memory estimate and the studio's parameter counts read them).
// No tfjs here, so the page can count parameters without loading it.
// A default config (RoPE, pre-norm, learnable norms, final norm, nKvHeads = nHeads, headDim =
// C / nHeads) lists exactly the names, shapes and order it always had, so init draws and
// checkpoints are unchanged; each variant only adds or drops entries (see the header of gpt.ts).
import { type GptConfig, resolveGptConfig } from './config';

/** Shape and initial values of one parameter, in creation order. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'residual' | 'ones' | 'zeros'; // residual: normal with the GPT-2 scaled std
}

/**
 * The parameter list of a config, in the canonical order (see the header).
 * @example
 *   gptParamSpecs({ ...cfg, positions: 'learned' })[1]; // { name: 'wpe', shape: [T, C], init: 'normal' }
 */
export function gptParamSpecs(config: GptConfig): ParamSpec[] {
  const c = resolveGptConfig(config);
  const { vocabSize: V, dModel: C, dFF: F, headDim: hs } = c;
  const specs: ParamSpec[] = [{ name: 'wte', shape: [V, C], init: 'normal' }];
  if (c.positions === 'learned') specs.push({ name: 'wpe', shape: [c.contextLength, C], init: 'normal' });
  const norm = (prefix: string) => {
    if (!c.normLearnable) return; // a fixed norm has no parameters
    specs.push({ name: `${prefix}.weight`, shape: [C], init: 'ones' });
    if (c.norm === 'layernorm') specs.push({ name: `${prefix}.bias`, shape: [C], init: 'zeros' });
  };
  const blockNorm = (prefix: string) => {
    if (c.normPlacement !== 'none') norm(prefix);
  };
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blocks.${i}`;
    blockNorm(`${b}.norm1`);
    specs.push({ name: `${b}.attn.wq`, shape: [C, c.nHeads * hs], init: 'normal' });
    specs.push({ name: `${b}.attn.wk`, shape: [C, c.nKvHeads * hs], init: 'normal' });
    specs.push({ name: `${b}.attn.wv`, shape: [C, c.nKvHeads * hs], init: 'normal' });
    specs.push({ name: `${b}.attn.wo`, shape: [c.nHeads * hs, C], init: 'residual' });
    if (c.qkNorm) {
      specs.push({ name: `${b}.attn.q_norm.weight`, shape: [hs], init: 'ones' });
      specs.push({ name: `${b}.attn.k_norm.weight`, shape: [hs], init: 'ones' });
    }
    blockNorm(`${b}.norm2`);
    specs.push({ name: `${b}.ffn.w1`, shape: [C, F], init: 'normal' });
    specs.push({ name: `${b}.ffn.w2`, shape: [F, C], init: 'residual' });
    if (c.ffn === 'swiglu') specs.push({ name: `${b}.ffn.w3`, shape: [C, F], init: 'normal' });
  }
  if (c.finalNorm) norm('norm_f');
  if (!c.tieEmbeddings) specs.push({ name: 'lm_head', shape: [C, V], init: 'normal' });
  return specs;
}
