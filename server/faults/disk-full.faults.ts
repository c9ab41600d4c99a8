// A disk that really fills up while a checkpoint is saved: the run's checkpoints/ folder is a
// 200 KiB tmpfs (room for one checkpoint of this 32-token smoke model, about 145 KB, not two),
// mounted in a private mount namespace (unshare -m), so nothing outside this test sees it. The
// kernel's ENOSPC must become an error on the checkpoint node that says the disk is full, with the
// first checkpoint intact and no temporary file left. Skipped where mounting is not allowed (not
// root, no CAP_SYS_ADMIN); engine/node/disk-full.test.ts covers the same path everywhere, with an
// injected ENOSPC.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpointFile } from '../../engine/node/checkpoint-dir';
import { decodeSafetensors } from '../../engine/checkpoint/safetensors';
import { encodeNpy } from '../../engine/data/npy';
import { tempDir } from '../test-support';
import { ROOT } from './support';

const probe = spawnSync(
  'unshare',
  ['-m', '--propagation', 'private', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'],
  { encoding: 'utf8' },
);
const canMount = probe.status === 0;

test(
  'a real full disk (tmpfs) during the 2nd checkpoint: a clear error, the 1st checkpoint intact',
  { skip: canMount ? false : `cannot mount a tmpfs here: ${probe.stderr || probe.error?.message}` },
  async (t) => {
    const root = await tempDir('disk-full-');
    t.after(() => root.remove());
    const data = join(root.path, 'data');
    const out = join(root.path, 'run');
    const checkpoints = join(out, 'checkpoints');
    const copy = join(root.path, 'copy');
    for (const d of [data, checkpoints, copy]) mkdirSync(d, { recursive: true });
    const ids = new Uint16Array(20_000).map((_, i) => (i * 5 + 3) % 32);
    writeFileSync(join(data, 'train_ids.npy'), encodeNpy(ids));
    writeFileSync(join(data, 'valid_ids.npy'), encodeNpy(ids.slice(0, 4000)));

    // The tmpfs lives as long as the shell: copy what it holds out before it goes.
    const script = `mount -t tmpfs -o size=200k tmpfs "$CKPT" || exit 90
node --import tsx server/faults/disk-full-child.ts; rc=$?
cp -a "$CKPT"/. "$COPY"/; df -k "$CKPT" | tail -1 >&2; exit $rc`;
    const child = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CKPT: checkpoints, COPY: copy, OUT_DIR: out, DATA: data },
      timeout: 120_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const saved = lines.filter((l) => l.event?.type === 'checkpoint/saved').map((l) => l.event.data.name);
    const error = lines.find((l) => l.event?.type === 'error')?.event;
    const result = lines.find((l) => l.result)?.result;
    t.diagnostic(`tmpfs after the run: ${child.stderr.trim()}; error: ${error?.data.message}`);

    assert.deepEqual(saved, ['ckpt-000002']);
    assert.equal(result.status, 'failed');
    assert.equal(result.step, 3, 'stopped in the step whose checkpoint could not be saved');
    assert.equal(error.nodeId, 'checkpoint');
    assert.match(error.data.message, /could not save checkpoint ckpt-000004 .*: the disk is full \(ENOSPC: no space left on device/);
    assert.deepEqual(readdirSync(copy).sort(), ['ckpt-000002.json', 'ckpt-000002.safetensors'], 'no temporary file left');
    const kept = await readCheckpointFile(join(copy, 'ckpt-000002'));
    assert.equal((kept.meta as { step: number }).step, 2);
    assert.ok(decodeSafetensors(kept.weights).tensors.size > 0);
  },
);
