// Which form fields a compiler problem belongs beside. A cross-field problem (d_model must be
// divisible by n_heads) carries one field, but the user may have just edited the other.

/**
 * Whether `message` names the param `key` as a whole word.
 * @example namesField('d_model (128) must be divisible by n_heads (7)', 'n_heads') // true
 */
export function namesField(message: string, key: string): boolean {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.])${escaped}(?!\\w)`).test(message);
}
