// The PyTorch export's settings follow the node schemas: every optimizer and schedule field the
// schema declares is in config.json and in config.py's checks, and every kind the schema lists is
// accepted by config.py and handled by optim.py. Adding a kind or a field to a schema without
// the Python side fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTIMIZER_KINDS, optimizer } from '../../nodes/optimizer';
import { SCHEDULE_KINDS, scheduler } from '../../nodes/scheduler';
import { CONFIG_PY } from './python/config.py';
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

test('optim.py implements every optimizer and schedule kind', () => {
  for (const kind of OPTIMIZER_KINDS) {
    assert.match(OPTIM_PY, new RegExp(`self\\.kind == "${kind}"`), `optim.py: the ${kind} update`);
    assert.match(OPTIM_PY, new RegExp(`^    "${kind}": \\[`, 'm'), `optim.py: the ${kind} state slots`);
  }
  for (const kind of SCHEDULE_KINDS) assert.match(OPTIM_PY, new RegExp(`kind == "${kind}"`), `optim.py: the ${kind} schedule`);
});
