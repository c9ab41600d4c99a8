// Runs the fault and load drivers (server/faults/*.faults.ts) one at a time: kill -9 during
// training and checkpoint writes, a real full disk, 50 reconnecting socket clients. They start
// server processes and take a few minutes, so they live outside the unit suite.
// Usage: npm run test:faults                 -> all of them
//        npm run test:faults -- kill load    -> files whose name contains one of the texts
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeTests } from './node-test';

const DIR = join('server', 'faults');
const filters = process.argv.slice(2);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.faults.ts') && (!filters.length || filters.some((x) => f.includes(x))))
  .sort()
  .map((f) => join(DIR, f));
if (!files.length) {
  console.error(`no fault drivers match ${filters.join(' ')}`);
  process.exit(1);
}
// One at a time: each measures time and memory, which a neighbour would disturb.
process.exit(runNodeTests(files, 1));
