// `npm run gpu:pack`: the folder runs gpu:check with its own Node binary and no node_modules of
// the repo (it lives in a temporary folder and is run from /), and its bundled WebGPU worker trains
// as the unbundled one does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeGpuPack } from './gpu-pack';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'gpu-pack-test-'));
const pack = join(dir, 'pack');
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await writeGpuPack(pack);
});

/** Runs a command from / with a bare environment, so nothing of the repo is found by accident. */
function bare(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: dir }, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The JSON line an engine worker printed. */
const rowOf = (stdout: string) =>
  JSON.parse(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1) ?? '{}',
  );

test('the pack holds the Node binary, the bundles, the Python benches and Dawn', () => {
  for (const f of ['node', 'gpu-check.sh', 'bench/gpu-check.mjs', 'bench/engine-worker.mjs', 'bench/torch_bench.py', 'bench/plain_gpt.py']) {
    assert.ok(existsSync(join(pack, f)), f);
  }
  assert.ok(existsSync(join(pack, 'node_modules', 'webgpu', 'dist', `${process.platform}-${process.arch}`, 'dawn.node')));
  assert.equal(existsSync(join(pack, 'node_modules', '@tensorflow')), false, 'tfjs is bundled, not copied');
});

test('gpu-check.sh rehearses the check on the CPU from the pack alone', () => {
  const out = join(dir, 'rehearsal.json');
  const r = bare(join(pack, 'gpu-check.sh'), ['--device', 'cpu', '--out', out, '--configs', 'R', '--steps', '3', '--bench-steps', '1']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(results.meta.node, process.version, "the pack's Node is this one");
  const byName = new Map(results.parity.map((p: { name: string }) => [p.name, p]));
  const reference = byName.get('cpu float32 (reference)') as { status: string; losses: number[] };
  assert.equal(reference.status, 'ok');
  assert.ok(reference.losses[2] < reference.losses[0], 'the reference learns');
  assert.equal((byName.get('cpu float32') as { maxRelDiff: number }).maxRelDiff, 0);
  assert.equal((byName.get('cpu bfloat16') as { status: string }).status, 'ok');
  assert.deepEqual(
    results.bench.rows.map((row: { model: string; status: string }) => [row.model, row.status]),
    [
      ['exporter', 'ok'],
      ['plain', 'ok'],
    ],
  );
  assert.equal(results.webgpu.status, 'skipped');
});

test("the pack's WebGPU worker trains config R as the unbundled worker does", () => {
  const args = ['--config', 'R', '--backend', 'webgpu', '--steps', '1', '--warmup', '0'];
  const unbundled = rowOf(
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'engine-worker.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 })
      .stdout,
  );
  const packed = rowOf(bare(join(pack, 'node'), [join(pack, 'bench', 'engine-worker.mjs'), ...args]).stdout);
  if (unbundled.status !== 'completed') {
    // No WebGPU adapter here: the pack must fail for that reason too, not for a missing package.
    assert.match(packed.error ?? '', /no WebGPU adapter/);
    return;
  }
  assert.equal(packed.status, 'completed', packed.error);
  assert.equal(packed.adapter, unbundled.adapter);
  assert.equal(packed.loss, unbundled.loss);
});
