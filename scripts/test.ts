// Runs the whole test suite: the lint and layer checks (scripts/lint.ts), unit and integration
// tests (node:test), then the browser e2e tests.
// Usage: npm test               -> everything
//        npm test -- lint       -> the lint and layer checks only
//        npm test -- unit       -> *.test.ts only
//        npm test -- e2e        -> e2e/*.e2e.ts only (builds the app first when it is stale)
//        npm test -- <text>...  -> test files whose path contains one of the texts
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lint } from './lint';
import { runNodeTests } from './node-test';

const UNIT_ROOTS = ['engine', 'server', 'cli', 'lib', 'components', 'bench', 'scripts'];

function findFiles(dir: string, suffix: string): string[] {
  let found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of names) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) found = found.concat(findFiles(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

function run(files: string[], concurrency: number): number {
  return files.length ? runNodeTests(files, concurrency) : 0;
}

const args = process.argv.slice(2);
const only = args.find((a) => a === 'unit' || a === 'e2e' || a === 'lint');
const filters = args.filter((a) => a !== 'unit' && a !== 'e2e' && a !== 'lint');
const keep = (files: string[]) => (filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files);

// The lint and layer checks run with the whole suite, or alone with `lint`; not for a filtered run.
const lintStatus = only === 'lint' || (!only && !filters.length) ? lint() : 0;
if (only === 'lint') process.exit(lintStatus);
const unit = only === 'e2e' ? [] : keep(UNIT_ROOTS.flatMap((r) => findFiles(r, '.test.ts')).sort());
const e2e = only === 'unit' ? [] : keep(findFiles('e2e', '.e2e.ts').sort());
const unitStatus = run(unit, 2);
// The e2e tests share one build and one browser, so they run one file at a time.
const e2eStatus = run(e2e, 1);
process.exit(lintStatus || unitStatus || e2eStatus);
