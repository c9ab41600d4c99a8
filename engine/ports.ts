// Port types: what flows along an edge, and the one rule for which ports may connect.
// The compiler and the canvas both call `canConnect`, so the two can never disagree.

/**
 * Every value that can travel along an edge.
 * `lifetime: 'setup'` values are made once before training (a dataset split, the model, the
 * optimizer); `'step'` values are made anew every training step (a batch, logits, the loss).
 */
export const PORT_TYPES = {
  TokenSource: { lifetime: 'setup', color: '#0ea5e9', description: 'A split of token ids (an .npy file read in windows)' },
  Tokens: { lifetime: 'step', color: '#6366f1', description: 'Integer token ids, shape [batch, time]' },
  Logits: { lifetime: 'step', color: '#a855f7', description: 'Unnormalised next-token scores, shape [batch, time, vocab]' },
  Loss: { lifetime: 'step', color: '#ef4444', description: 'A scalar loss to minimise' },
  Grads: { lifetime: 'step', color: '#f97316', description: 'Gradients, one tensor per model parameter' },
  LR: { lifetime: 'step', color: '#eab308', description: 'The learning rate for this step' },
  Model: { lifetime: 'setup', color: '#22c55e', description: 'The model and its trainable parameters' },
  Optimizer: { lifetime: 'setup', color: '#14b8a6', description: 'The optimizer and its state' },
  // Inside the model block only: the stream every layer reads and writes, so a wire from the token
  // input or into the logits is refused.
  Residual: { lifetime: 'step', color: '#64748b', description: 'Hidden states inside the model, shape [batch, time, d_model]' },
} as const;

export type PortType = keyof typeof PORT_TYPES;

export const PORT_TYPE_NAMES = Object.keys(PORT_TYPES) as PortType[];

export type Connection = { ok: true } | { ok: false; reason: string };

/**
 * Whether an output port of type `from` may feed an input port of type `to`.
 * Ports connect only when their types are equal: the loop has no implicit conversions.
 * @example canConnect('Logits', 'Logits') // { ok: true }
 */
export function canConnect(from: PortType, to: PortType): Connection {
  if (from === to) return { ok: true };
  return { ok: false, reason: `expected ${to}, got ${from}` };
}
