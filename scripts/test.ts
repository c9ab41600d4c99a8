// Runs the whole test suite: unit/integration tests (node:test) and, when asked, e2e.
// Usage: npm test            -> every *.test.ts under engine/, server/, cli/
//        npm test -- unit    -> the same (e2e is added by its own script when present)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['engine', 'server', 'cli'];

function findTests(dir: string): string[] {
  let found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2).filter((a) => a !== 'unit');
let files = roots.flatMap((r) => { try { return findTests(r); } catch { return []; } }).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
