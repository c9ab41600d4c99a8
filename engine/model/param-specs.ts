// The GPT's parameters by name and shape, in the canonical order (engine/model/gpt.ts builds the
// model from them; checkpoints, the memory estimate and the studio's parameter counts read them).
// No tfjs here, so the page can count parameters without loading it.
import type { GptConfig } from './config';

/** Shape and initial values of one parameter, in creation order. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'residual' | 'ones' | 'zeros'; // residual: normal with the GPT-2 scaled std
}

/** The parameter list of a config, in the canonical order (see the header). */
export function gptParamSpecs(c: GptConfig): ParamSpec[] {
  const { vocabSize: V, dModel: C, dFF: F } = c;
  const specs: ParamSpec[] = [{ name: 'wte', shape: [V, C], init: 'normal' }];
  const norm = (prefix: string) => {
    specs.push({ name: `${prefix}.weight`, shape: [C], init: 'ones' });
    if (c.norm === 'layernorm') specs.push({ name: `${prefix}.bias`, shape: [C], init: 'zeros' });
  };
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blocks.${i}`;
    norm(`${b}.norm1`);
    for (const m of ['wq', 'wk', 'wv']) specs.push({ name: `${b}.attn.${m}`, shape: [C, C], init: 'normal' });
    specs.push({ name: `${b}.attn.wo`, shape: [C, C], init: 'residual' });
    norm(`${b}.norm2`);
    specs.push({ name: `${b}.ffn.w1`, shape: [C, F], init: 'normal' });
    specs.push({ name: `${b}.ffn.w2`, shape: [F, C], init: 'residual' });
    if (c.ffn === 'swiglu') specs.push({ name: `${b}.ffn.w3`, shape: [C, F], init: 'normal' });
  }
  norm('norm_f');
  if (!c.tieEmbeddings) specs.push({ name: 'lm_head', shape: [C, V], init: 'normal' });
  return specs;
}

