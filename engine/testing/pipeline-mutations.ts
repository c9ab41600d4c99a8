// fast-check arbitraries for fuzzing whatever reads pipeline documents (the compiler, the server's
// POST /api/runs): awkward JSON values, and single random edits of a valid document.
import fc from 'fast-check';

/** JSON-ish values, awkward ones included (huge numbers, prototype keys, NUL, long emoji runs). */
export const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -1e308,
    5e-324,
    2 ** 53 + 1,
    -(2 ** 31),
    '',
    ' ',
    '__proto__',
    'constructor',
    'NaN',
    '1e3',
    '../../etc/passwd',
    '\u0000',
    '💥'.repeat(50),
  ),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

/** An in-place edit of a pipeline document (which earlier edits may already have broken). */
export type Mutation = (doc: any) => void;

const pick = <T>(items: T[], i: number): T | undefined => (items.length ? items[i % items.length] : undefined);
/** The i-th element of a list that may not be a list any more. */
const pickIn = (list: unknown, i: number): any => pick(Array.isArray(list) ? list : [], i);

/**
 * One random edit: a param, a node field, an edge end, a duplicated or dropped node/edge, a whole
 * section, or a training setting, with values drawn from `values`.
 * @example fc.array(pipelineMutation(anyValue), { maxLength: 4 })
 */
export function pipelineMutation(values: fc.Arbitrary<unknown> = anyValue): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), values).map(([i, key, value]) => (doc: any) => {
      const node = pickIn(doc.nodes, i);
      if (node && typeof node === 'object') node.params = { ...node.params, [pick(Object.keys(node.params ?? {}), i) ?? key]: value };
    }),
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom('id', 'type', 'params', 'position', 'version'),
        fc.oneof(values, fc.constantFrom('model', 'loss', 'dataset', 'checkpoint')),
      )
      .map(([i, field, value]) => (doc: any) => {
        const node = pickIn(doc.nodes, i);
        if (node && typeof node === 'object') node[field] = value;
      }),
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom('id', 'source', 'sourceHandle', 'target', 'targetHandle'),
        fc.oneof(values, fc.constantFrom('model', 'loss', 'x', 'y', 'logits', 'grads')),
      )
      .map(([i, field, value]) => (doc: any) => {
        const edge = pickIn(doc.edges, i);
        if (edge && typeof edge === 'object') edge[field] = value;
      }),
    fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => (doc: any) => {
      const list = i % 2 ? doc.nodes : doc.edges;
      if (!Array.isArray(list) || !list.length) return;
      if (j % 2) list.push(structuredClone(pick(list, j)));
      else list.splice(j % list.length, 1);
    }),
    fc.tuple(fc.constantFrom('version', 'meta', 'training', 'nodes', 'edges', 'notes', 'groups'), values).map(([field, value]) => (doc: any) => {
      doc[field] = value;
    }),
    fc.tuple(fc.constantFrom('steps', 'seed'), values).map(([field, value]) => (doc: any) => {
      if (doc.training && typeof doc.training === 'object') doc.training[field] = value;
    }),
  );
}
