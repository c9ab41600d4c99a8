// Pinning bench processes to one CPU with util-linux's `taskset`. Why the bench pins: on a VM one
// vCPU can run a third slower than another for minutes (its host core shared with other guests),
// so a one-thread row's speed depended on which vCPU its process happened to land on. Rows that
// are compared with each other run once on each of two CPUs and keep the faster (bench/run.ts).
import { spawnSync } from 'node:child_process';

/**
 * CPU ids from a Linux CPU list.
 * @example parseCpuList('0-2,5') // [0, 1, 2, 5]
 */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on, or undefined where `taskset` is missing or fails. */
export function allowedCpus(): number[] | undefined {
  const r = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  const list = r.status === 0 ? /affinity list:\s*(\S+)/.exec(r.stdout)?.[1] : undefined;
  return list ? parseCpuList(list) : undefined;
}

/**
 * Pins this process's main thread to `cpu`. Threads started before stay free: in Node, V8's
 * garbage collector and compiler threads, which would otherwise queue behind the main thread.
 */
export function pinMainThread(cpu: number): void {
  const r = spawnSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pinning to CPU ${cpu}: taskset failed (${(r.stderr || String(r.error)).trim()})`);
}

/**
 * A command line that runs `cmd` pinned to `cpu` (all its threads), or unchanged for undefined.
 * @example pinnedCommand('python3', ['bench.py'], 1) // ['taskset', ['-c', '1', 'python3', 'bench.py']]
 */
export function pinnedCommand(cmd: string, args: string[], cpu: number | undefined): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}
