// The PyTorch export's settings follow the node schemas: every optimizer and schedule field the
// schema declares is in config.json and in config.py's checks, and every kind the schema lists is
// accepted by config.py and handled by optim.py. The optimizer's checks and classes are generated
// from engine/optim/kinds/; the schedule's are written by hand, so a drift there fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIMIZER_KINDS, optimizer } from '../../nodes/optimizer';
import { SCHEDULE_KINDS, scheduler } from '../../nodes/scheduler';
import { z } from 'zod';
import { CONFIG_PY, pyCheck } from './python/config.py';
import { OPTIM_PY } from './python/optim.py';

/** The keys and the `kind` choices config.py checks for one config.json section. */
function pythonSection(name: string): { keys: string[]; kinds: string[] } {
  const start = CONFIG_PY.indexOf(`"${name}": section({`);
  assert.ok(start >= 0, `config.py checks a "${name}" section`);
  const body = CONFIG_PY.slice(start, CONFIG_PY.indexOf('\n    }', start)); // up to the section's closing brace
  const keys = [...body.matchAll(/"(\w+)":/g)].map((m) => m[1]).slice(1);
  const kinds = /"kind": one_of\(([^)]*)\)/.exec(body)?.[1].split(',').map((k) => JSON.parse(k.trim())) ?? [];
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
    assert.match(OPTIM_PY, new RegExp(`^class ${cls}\\(Kind\\):\\n[^]*?    def build\\(self, named\\):`, 'm'), `optim.py: the ${kind} class builds its optimizer`);
  }
  for (const kind of SCHEDULE_KINDS) assert.match(OPTIM_PY, new RegExp(`kind == "${kind}"`), `optim.py: the ${kind} schedule`);
});
