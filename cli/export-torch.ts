// npm run export:torch -- <pipeline.json> --out DIR [--steps N] [--data DIR] [--copy-data] [--link-data]
// Writes a PyTorch version of a pipeline (train.py, model.py, config.json, README.md, data/) that
// runs with python or torchrun. Exits 1 when the pipeline has errors or cannot be exported, 2 on usage errors.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compile } from '../engine/compiler/compile';
import { formatDiagnostic } from '../engine/compiler/diagnostics';
import { TorchExportError } from '../engine/export/torch/export';
import { writeTorchExport } from '../engine/node/torch-export';

const USAGE = 'usage: npm run export:torch -- <pipeline.json> --out DIR [--steps N] [--data DIR] [--copy-data] [--link-data]';

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        steps: { type: 'string' },
        data: { type: 'string' },
        'copy-data': { type: 'boolean', default: false },
        'link-data': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}

const { values, positionals } = parse();
if (positionals.length !== 1 || !values.out) fail(USAGE);
const pipelinePath = resolve(positionals[0]);
const steps = values.steps === undefined ? undefined : Number(values.steps);
if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) fail(`--steps must be a positive integer\n${USAGE}`);

let document: unknown;
try {
  document = JSON.parse(await readFile(pipelinePath, 'utf8'));
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  fail(err.code ? `cannot read ${pipelinePath}: ${err.code}` : `${pipelinePath} is not valid JSON: ${err.message}`);
}
if (steps !== undefined && typeof document === 'object' && document !== null) {
  const doc = document as { training?: Record<string, unknown> };
  document = { ...doc, training: { ...doc.training, steps } };
}

const compiled = compile(document);
if (!compiled.ok) {
  console.error(`${pipelinePath} has ${compiled.diagnostics.length} problem${compiled.diagnostics.length > 1 ? 's' : ''}:`);
  for (const d of compiled.diagnostics) console.error(`  ${formatDiagnostic(d)}`);
  process.exit(1);
}

try {
  const result = await writeTorchExport(compiled.plan, values.out, {
    dataDir: values.data,
    baseDir: dirname(pipelinePath),
    copyData: values['copy-data'],
    linkData: values['link-data'],
  });
  const rel = relative(process.cwd(), result.outDir);
  const dir = rel === '' ? '.' : rel.startsWith('..') ? result.outDir : rel;
  console.log(`wrote ${result.files.length} files to ${dir}: ${result.files.join(', ')}`);
  console.log('run it with:');
  console.log(`  cd ${dir} && python train.py                                   # one GPU, or the CPU`);
  console.log(`  cd ${dir} && torchrun --standalone --nproc_per_node=N train.py # N GPUs`);
  console.log('  (see README.md there for several machines, --resume and more)');
} catch (e) {
  if (e instanceof TorchExportError) {
    console.error(`${pipelinePath} cannot be exported to PyTorch:`);
    for (const line of e.message.split('\n')) console.error(`  ${line}`);
    process.exit(1);
  }
  fail(`error: ${(e as Error).message}`, 1);
}
