// optimizer: one node, switched by `kind`; the kinds and their own settings are declared in
// engine/optim/kinds/ (one file each) and gathered here into the node's schema, with `appliesTo`
// telling the inspector which settings each kind reads.
// Weight decay skips parameters of rank < 2 (norm weights, biases) unless asked otherwise.
import { z } from 'zod';
import type { AnyOptimizerKind, SharedSetting } from '../optim/kinds/define';
import { OPTIMIZER_KIND_DEFINITIONS, OPTIMIZER_KINDS, optimizerKind, type OptimizerKind } from '../optim/kinds';
import { appliesTo, defineNode, port } from './define';

export { OPTIMIZER_KINDS, type OptimizerKind };

const KINDS = OPTIMIZER_KIND_DEFINITIONS as readonly AnyOptimizerKind[];
const kindsWhere = (keep: (d: AnyOptimizerKind) => boolean) => KINDS.filter(keep).map((d) => d.kind);

/** Settings several kinds read; each applies to the kinds that list it in `uses`. */
const SHARED = {
  beta1: z.number().min(0).max(1).lt(1).default(0.9).describe('first-moment decay'),
  beta2: z.number().min(0).max(1).lt(1).default(0.95).describe('second-moment decay'),
  eps: z.number().positive().max(1).default(1e-8).describe('denominator guard'),
} satisfies Record<SharedSetting, z.ZodType>;

const shared = <K extends SharedSetting>(key: K) =>
  appliesTo(
    SHARED[key],
    kindsWhere((d) => d.uses.includes(key)),
  );

/** Each kind's own settings, in the kinds' order, shown only while that kind is picked. */
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type OwnSettings = UnionToIntersection<(typeof OPTIMIZER_KIND_DEFINITIONS)[number]['settings']>;
const OWN = Object.fromEntries(
  KINDS.flatMap((d) => Object.entries(d.settings).map(([key, schema]) => [key, appliesTo(schema as z.ZodType, [d.kind])])),
) as unknown as OwnSettings;

const decayText = (mode: AnyOptimizerKind['weightDecay']) => kindsWhere((d) => d.weightDecay === mode).join('/');

export const optimizer = defineNode({
  kind: 'optimizer',
  title: 'Optimizer',
  category: 'optimization',
  description: 'Updates the model from the gradients. Switch kind to swap the algorithm; shared settings carry over.',
  version: 1,
  inputs: {
    grads: port('Grads', 'grads'),
    lr: port('LR', 'lr', { optional: true, description: 'from a scheduler; without one the lr param is used' }),
    model: port('Model', 'model'),
  },
  outputs: { model: port('Model', 'model'), optimizer: port('Optimizer', 'optimizer') },
  params: z.object({
    kind: z.enum(OPTIMIZER_KINDS).default('adamw').describe('update rule'),
    lr: z
      .number()
      .positive()
      .max(10)
      .default(1e-3)
      .describe('learning rate when no scheduler is connected (muon: a schedule scales muon_lr and adam_lr by its lr ÷ this one, so set both equal)'),
    weight_decay: z
      .number()
      .min(0)
      .max(10)
      .default(0.1)
      .describe(`decoupled for ${decayText('decoupled')}, L2 for ${decayText('l2')}`),
    beta1: shared('beta1'),
    beta2: shared('beta2'),
    eps: shared('eps'),
    ...OWN,
    decay_norms_and_biases: z.boolean().default(false).describe('also decay rank-1 params (norm weights, biases)'),
  }),
  hot: ['lr', 'weight_decay', 'beta1', 'beta2', 'eps', ...KINDS.flatMap((d) => d.hot), 'decay_norms_and_biases'] as never[],
  summary: ['kind', 'weight_decay'],
  check: (p, ctx) => optimizerKind(p.kind).check?.(p, ctx) ?? [],
});

/** An optimizer node's params, defaults filled in. */
export type OptimizerParams = z.infer<typeof optimizer.params>;
