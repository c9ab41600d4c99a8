// npm run studio: builds the app when needed, prepares the bundled corpus, and starts the studio
// (production server: Next + API + socket on one port). The page opens on the seed pipeline.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { prepareCorpus } from '../engine/node/corpus';
import { buildIsStale, buildWithProgress, quietEnv, ROOT } from './build-if-stale';

if (buildIsStale()) {
  console.log('Pretrain Studio: building the app (next build). The first build takes a few minutes; later starts take seconds.');
  await buildWithProgress();
} else {
  console.log('Pretrain Studio: the build is up to date.');
}
console.log('Preparing the Brown corpus…');
const dataDir = process.env.DATA_DIR || 'data';
const corpus = await prepareCorpus(resolve(ROOT, dataDir, 'brown-byte'), { tokenizer: 'byte' });
console.log(`Brown corpus ready: ${corpus.train_tokens.toLocaleString('en-US')} train tokens, ${corpus.valid_tokens.toLocaleString('en-US')} valid tokens`);
console.log('Starting the server…');
const server = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...quietEnv(), NODE_ENV: 'production' },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
