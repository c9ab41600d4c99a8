// The PyTorch export's settings follow the node schemas: every optimizer and schedule field the
// schema declares is in config.json and in config.py's checks, and every kind the schema lists is
// accepted by config.py and handled by optim.py. The optimizer's checks and classes are generated
// from engine/optim/kinds/; the schedule's are written by hand, so a drift there fails here. Likewise
// every GptConfig field (architecture variants included) is in the model section, with the choices
// the engine accepts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FFN_KINDS, NORM_PLACEMENTS, POSITIONS_KINDS } from '../../model/config';
import { OPTIMIZER_KINDS, optimizer } from '../../nodes/optimizer';
import { SCHEDULE_KINDS, scheduler } from '../../nodes/scheduler';
import { z } from 'zod';
import { torchModelConfig } from './export';
import { CONFIG_PY, pyCheck } from './python/config.py';
import { MODEL_PY } from './python/model.py';
import { OPTIM_PY } from './python/optim.py';

/** The keys and the choices of a one_of field (default `kind`) config.py checks for one config.json section. */
function pythonSection(name: string, choicesOf = 'kind'): { keys: string[]; kinds: string[] } {
  const start = CONFIG_PY.indexOf(`"${name}": section({`);
  assert.ok(start >= 0, `config.py checks a "${name}" section`);
  const body = CONFIG_PY.slice(start, CONFIG_PY.indexOf('\n    }', start)); // up to the section's closing brace
  const keys = [...body.matchAll(/"(\w+)":/g)].map((m) => m[1]).slice(1);
  const kinds =
    new RegExp(`"${choicesOf}": one_of\\(([^)]*)\\)`)
      .exec(body)?.[1]
      .split(',')
      .map((k) => JSON.parse(k.trim())) ?? [];
  return { keys, kinds };
}

test('config.py checks exactly the optimizer and schedule fields the node schemas declare', () => {
  assert.deepEqual(pythonSection('optimizer').keys, ['node_id', ...Object.keys(optimizer.params.shape)]);
  assert.deepEqual(pythonSection('schedule').keys, ['node_id', ...Object.keys(scheduler.params.shape)]);
});

test('config.py accepts the kinds the node schemas list, and no others', () => {
  assert.deepEqual(pythonSection('optimizer').kinds, [...OPTIMIZER_KINDS]);
  assert.deepEqual(pythonSection('schedule').kinds, [...SCHEDULE_KINDS]);
});

test('config.py checks a field as its schema bounds it, and refuses a type it cannot check', () => {
  assert.equal(pyCheck(z.number().positive().max(10), 'lr'), 'number(0, 10, lo_open=True)');
  assert.equal(pyCheck(z.number().min(0).max(1).lt(1), 'beta1'), 'number(0, 1, hi_open=True)');
  assert.equal(pyCheck(z.number().min(0), 'initial_accumulator'), 'number(0, 1e308)');
  assert.equal(pyCheck(z.number().int().min(1).max(20), 'ns_steps'), 'integer(1, 20)');
  assert.equal(pyCheck(z.boolean(), 'nesterov'), 'boolean');
  assert.throws(() => pyCheck(z.array(z.number()), 'betas'), /no check for a array param \(betas\)/);
});

test('optim.py implements every optimizer and schedule kind', () => {
  const table = /^KINDS = \{(.*)\}$/m.exec(OPTIM_PY)?.[1] ?? '';
  const classes = Object.fromEntries([...table.matchAll(/"(\w+)": (\w+)/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(Object.keys(classes), [...OPTIMIZER_KINDS], 'optim.py: KINDS lists every kind');
  for (const [kind, cls] of Object.entries(classes)) {
    assert.match(
      OPTIM_PY,
      new RegExp(`^class ${cls}\\(Kind\\):\\n[^]*?    def build\\(self, named\\):`, 'm'),
      `optim.py: the ${kind} class builds its optimizer`,
    );
  }
  for (const kind of SCHEDULE_KINDS) assert.match(OPTIM_PY, new RegExp(`kind == "${kind}"`), `optim.py: the ${kind} schedule`);
});

const TINY = {
  vocabSize: 8,
  contextLength: 4,
  dModel: 8,
  nLayers: 1,
  nHeads: 2,
  dFF: 8,
  ropeTheta: 10000,
  norm: 'rmsnorm',
  ffn: 'gelu',
  tieEmbeddings: true,
} as const;

test("config.py checks every model field the exporter writes, with the engine's choices", () => {
  assert.deepEqual(pythonSection('model').keys, ['node_id', ...Object.keys(torchModelConfig(TINY)), 'inspect_every']);
  assert.deepEqual(pythonSection('model', 'ffn').kinds, [...FFN_KINDS]);
  assert.deepEqual(pythonSection('model', 'positions').kinds, [...POSITIONS_KINDS]);
  assert.deepEqual(pythonSection('model', 'norm_placement').kinds, [...NORM_PLACEMENTS]);
});

test("model.py's GPTConfig takes every model field, and builds every variant", () => {
  const fields = [...MODEL_PY.slice(MODEL_PY.indexOf('class GPTConfig'), MODEL_PY.indexOf('def __post_init__')).matchAll(/^    (\w+): /gm)].map((m) => m[1]);
  assert.deepEqual(fields, Object.keys(torchModelConfig(TINY)));
  for (const kind of FFN_KINDS) assert.match(MODEL_PY, new RegExp(`(kind|ffn) == "${kind}"`), `model.py: the ${kind} FFN`);
  for (const placement of NORM_PLACEMENTS.filter((p) => p !== 'none')) assert.match(MODEL_PY, new RegExp(`placement == "${placement}"`));
  for (const positions of POSITIONS_KINDS.filter((p) => p !== 'none')) assert.match(MODEL_PY, new RegExp(`positions == "${positions}"`));
});
