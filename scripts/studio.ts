// npm run studio: builds the app when needed, prepares the bundled corpus, and starts the studio
// (production server: Next + API + socket on one port). The page opens on the seed pipeline.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { prepareCorpus } from '../engine/node/corpus';
import { buildIfStale, quietEnv, ROOT } from './build-if-stale';

console.log('Pretrain Studio: checking the build…');
buildIfStale();
const dataDir = process.env.DATA_DIR || 'data';
const corpus = await prepareCorpus(resolve(ROOT, dataDir, 'brown-byte'), { tokenizer: 'byte' });
console.log(`Brown corpus ready: ${corpus.train_tokens.toLocaleString('en-US')} train tokens, ${corpus.valid_tokens.toLocaleString('en-US')} valid tokens`);
const server = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
  cwd: ROOT, stdio: 'inherit', env: { ...quietEnv(), NODE_ENV: 'production' },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
