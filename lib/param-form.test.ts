// Inspector form generation from zod params: kinds of input, bounds, defaults, applicability.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { modelGraphRegistry } from '../engine/model-graph/kinds';
import { registry } from '../engine/nodes';
import { appliesTo } from '../engine/nodes/define';
import { boundsText, conditionText, effectiveValue, fieldApplies, fieldError, formatNumber, formatValue, paramFields, parseNumber } from './param-form';

const fieldsOf = (kind: string) => paramFields((registry.get(kind) ?? modelGraphRegistry.get(kind))!.params);

test('a field per param, in schema order, with input kind, bounds, default and help', () => {
  const fields = fieldsOf('attention');
  assert.deepEqual(
    fields.map((f) => f.key),
    Object.keys(modelGraphRegistry.get('attention')!.params.shape),
  );
  const heads = fields.find((f) => f.key === 'n_heads')!;
  assert.deepEqual({ kind: heads.kind, min: heads.min, max: heads.max, default: heads.default }, { kind: 'integer', min: 1, max: 256, default: 4 });
  assert.equal(heads.description, 'query heads');
  const norm = fieldsOf('norm').find((f) => f.key === 'kind')!;
  assert.deepEqual([norm.kind, norm.options], ['enum', ['rmsnorm', 'layernorm']]);
  assert.equal(fields.find((f) => f.key === 'qk_norm')!.kind, 'boolean');
  assert.equal(fieldsOf('sample').find((f) => f.key === 'prompt')!.kind, 'string');
});

test('exclusive bounds and "no bound" integers', () => {
  const beta1 = fieldsOf('optimizer').find((f) => f.key === 'beta1')!;
  assert.equal(boundsText(beta1), 'number, ≥ 0, < 1');
  const lr = fieldsOf('optimizer').find((f) => f.key === 'lr')!;
  assert.equal(boundsText(lr), 'number, > 0, ≤ 10');
  const every = fieldsOf('checkpoint').find((f) => f.key === 'every')!;
  assert.equal(boundsText(every), 'integer, ≥ 1'); // z.number().int() alone reports 2^53-1; not shown
});

test("applicability is read from the schema's appliesTo metadata", () => {
  const fields = fieldsOf('optimizer');
  const by = (key: string) => fields.find((f) => f.key === key)!;
  assert.deepEqual(by('momentum').appliesWhen, [{ key: 'kind', values: ['sgd'] }]);
  assert.deepEqual(by('beta1').appliesWhen, [{ key: 'kind', values: ['adamw', 'adam', 'lion'] }]);
  assert.deepEqual(by('adam_lr').appliesWhen, [{ key: 'kind', values: ['muon'] }]);
  assert.deepEqual(by('decay_norms_and_biases').appliesWhen, []);
  assert.equal(by('momentum').description, 'momentum'); // no kind names left in the help text
  assert.deepEqual(by('weight_decay').appliesWhen, []);
  assert.equal(conditionText(by('eps')), 'kind is adamw or adam or adagrad');
  const adamw = { kind: 'adamw' };
  const sgd = { kind: 'sgd' };
  assert.ok(fieldApplies(by('beta1'), adamw, fields) && !fieldApplies(by('beta1'), sgd, fields));
  assert.ok(!fieldApplies(by('momentum'), adamw, fields) && fieldApplies(by('momentum'), sgd, fields));
  assert.ok(fieldApplies(by('muon_momentum'), { kind: 'muon' }, fields) && !fieldApplies(by('muon_momentum'), sgd, fields));
  assert.ok(!fieldApplies(by('beta1'), { kind: 'muon' }, fields)); // muon's AdamW has its own betas
  assert.ok(fieldApplies(by('beta1'), {}, fields)); // default kind is adamw
  for (const key of ['model', 'get_batch', 'eval', 'checkpoint', 'clip', 'backward']) {
    assert.ok(
      fieldsOf(key).every((f) => f.appliesWhen.length === 0),
      `${key} has no switch`,
    );
  }
});

test('every appliesTo in the registry names an enum param of its node and values it can take', () => {
  for (const def of registry.values()) {
    const fields = paramFields(def.params);
    for (const field of fields) {
      for (const c of field.appliesWhen) {
        const owner = fields.find((f) => f.key === c.key);
        assert.equal(owner?.kind, 'enum', `${def.kind}.${field.key}: appliesTo names '${c.key}', not an enum param`);
        for (const value of c.values) assert.ok(owner!.options!.includes(value), `${def.kind}.${field.key}: '${value}' is no ${c.key}`);
      }
    }
  }
});

test('conditions on named enums chain: vocab_size needs tokenizer bpe, and tokenizer needs source brown', () => {
  const fields = fieldsOf('dataset');
  const by = (key: string) => fields.find((f) => f.key === key)!;
  assert.deepEqual(by('train_path').appliesWhen, [{ key: 'source', values: ['files'] }]);
  assert.deepEqual(by('vocab_size').appliesWhen, [{ key: 'tokenizer', values: ['bpe'] }]);
  assert.ok(fieldApplies(by('vocab_size'), { source: 'brown', tokenizer: 'bpe' }, fields));
  assert.ok(!fieldApplies(by('vocab_size'), { source: 'files', tokenizer: 'bpe' }, fields));
  assert.ok(!fieldApplies(by('vocab_size'), { source: 'brown', tokenizer: 'byte' }, fields));
});

test('a hand-written schema: appliesTo with appliesTo(), words in parentheses are only help text', () => {
  const schema = z.object({
    mode: z.enum(['fast', 'exact']).default('fast'),
    tolerance: appliesTo(z.number().default(0.1).describe('error allowed'), ['fast'], 'mode'),
    note: z.string().default('').describe('anything (fast)'),
    odd: z.number().default(0).meta({ appliesTo: 'fast' }),
  });
  const fields = paramFields(schema);
  assert.deepEqual(fields[1].appliesWhen, [{ key: 'mode', values: ['fast'] }]);
  assert.equal(fields[1].description, 'error allowed');
  assert.deepEqual(fields[2].appliesWhen, []);
  assert.deepEqual(fields[3].appliesWhen, []); // not a { key: values } map: ignored
  assert.equal(effectiveValue(fields[1], {}), 0.1);
  assert.equal(effectiveValue(fields[1], { tolerance: 2 }), 2);
});

test('fieldError returns the schema message; parseNumber and formatting', () => {
  const schema = modelGraphRegistry.get('attention')!.params;
  assert.equal(fieldError(schema, 'n_heads', 4), undefined);
  assert.match(fieldError(schema, 'n_heads', 0)!, />=1/);
  assert.match(fieldError(schema, 'n_heads', 2.5)!, /int/);
  assert.deepEqual(parseNumber(' 1e-3 '), { ok: true, value: 0.001 });
  assert.equal(parseNumber('abc').ok, false);
  assert.equal(parseNumber('').ok, false);
  assert.equal(formatNumber(1e-8), '1e-8');
  assert.equal(formatNumber(0.002), '0.002');
  assert.equal(formatNumber(10000), '10000');
  assert.equal(formatValue('The '), '"The "');
  assert.equal(formatValue(true), 'on');
});
