// How the suite's scripts start Node's test runner (scripts/test.ts, scripts/faults.ts).
import { spawnSync } from 'node:child_process';

// No test here takes five minutes; one that waits on something that never comes (a child process
// that hangs) fails after ten, by name, instead of holding the whole suite until it is killed.
export const TEST_TIMEOUT_MS = 600_000;

/** Runs the files under `node --test`, at most `concurrency` at a time; the runner's exit status. */
export function runNodeTests(files: string[], concurrency: number): number {
  const flags = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${TEST_TIMEOUT_MS}`];
  const result = spawnSync(process.execPath, [...flags, ...files], { stdio: 'inherit' });
  return result.status ?? 1;
}
