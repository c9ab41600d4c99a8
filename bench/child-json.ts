// Bench children (engine workers, torch_bench.py, memory checks) print their result as a JSON line
// on stdout, last; this runs one and reads that line.
import { spawnSync } from 'node:child_process';

export interface ChildOptions {
  cwd?: string;
  /** Added to this process's environment; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  timeoutS: number;
}

/**
 * Runs `cmd` and returns the last line of its stdout that starts with `{`, parsed, or the reason
 * it gave none: its last stderr lines (without stack frames and Dawn's limit warnings) or its exit.
 * @example const r = runJson('/usr/bin/python3', ['bench/torch_bench.py', '--peak'], { timeoutS: 120 }); // r.json?.peak_gflops
 */
export function runJson(cmd: string, args: string[], { cwd, env = {}, timeoutS }: ChildOptions): { json?: any; error?: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(cmd, args, { cwd, env: childEnv, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
  const last = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (r.status === 0 && last) return { json: JSON.parse(last) };
  const why = r.error
    ? String(r.error)
    : (r.stderr ?? '')
        .trim()
        .split('\n')
        .filter((l) => !/artificially reduced|^\s+at /.test(l))
        .slice(-3)
        .join(' | ')
        .slice(0, 600);
  return { error: why || `exit ${r.status}` };
}
