import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { allowedCpus, parseCpuList, pinnedCommand } from './pin-cpu';

test('CPU lists as Linux writes them', () => {
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
  assert.deepEqual(parseCpuList('1,3-4\n'), [1, 3, 4]);
  assert.throws(() => parseCpuList('0-a'), /not a CPU list/);
});

test('a pinned command runs on the CPU it names', (t) => {
  const cpus = allowedCpus();
  if (!cpus) return t.skip('no taskset here');
  const cpu = cpus.at(-1)!;
  const [cmd, args] = pinnedCommand('sh', ['-c', 'taskset -pc $$'], cpu);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`affinity list: ${cpu}\\s*$`));
  assert.deepEqual(pinnedCommand('sh', ['x'], undefined), ['sh', ['x']]);
});
