// Entry point: `npm run dev` (Next in dev mode) or `npm start` (production build; run `next build`
// first). Environment: HOST (default 127.0.0.1), PORT (3000), RUNS_DIR (runs), DATA_DIR (data),
// MAX_CONCURRENT_RUNS (1), MAX_UPLOAD_BYTES (256 MiB: checkpoint uploads), MAX_CONCURRENT_UPLOADS
// (2: checkpoint uploads read at once), MAX_RUN_MEMORY (half
// the RAM: runs whose estimated memory is larger are refused), MAX_DATASET_UPLOAD_BYTES (4 GiB:
// dataset uploads, streamed to disk), TORCH_PYTHON (/usr/bin/python3: the python with torch for torch runs); STUDIO_TOKEN (the access token;
// generated when HOST is not loopback), ALLOWED_ORIGINS (comma-separated browser origins allowed
// besides the server's own; see docs/security.md); NODE_ENV=production selects the built app;
// STUDIO_NO_NEXT=1 serves the API and socket only (tests, headless machines).
import { createStudioServer } from './app';
import { runMemoryBudget } from './runs/memory-budget';

const dev = process.env.NODE_ENV !== 'production';
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
function byteLimit(name: string): number | undefined {
  const raw = process.env[name];
  const bytes = raw ? Number(raw) : undefined;
  if (bytes !== undefined && (!Number.isSafeInteger(bytes) || bytes < 1)) {
    console.error(`${name} must be a positive number of bytes, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return bytes;
}
const maxUploadBytes = byteLimit('MAX_UPLOAD_BYTES');
const maxDatasetUploadBytes = byteLimit('MAX_DATASET_UPLOAD_BYTES');

const maxConcurrentUploads = process.env.MAX_CONCURRENT_UPLOADS ? Number(process.env.MAX_CONCURRENT_UPLOADS) : undefined;
if (maxConcurrentUploads !== undefined && (!Number.isSafeInteger(maxConcurrentUploads) || maxConcurrentUploads < 1)) {
  console.error(`MAX_CONCURRENT_UPLOADS must be a positive integer, got ${JSON.stringify(process.env.MAX_CONCURRENT_UPLOADS)}`);
  process.exit(2);
}
let maxRunMemory: number;
try {
  maxRunMemory = runMemoryBudget(process.env);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}

// Read once and removed from the environment that run workers and torch processes inherit.
const token = process.env.STUDIO_TOKEN;
delete process.env.STUDIO_TOKEN;

const server = await createStudioServer({
  host: process.env.HOST || '127.0.0.1',
  port,
  runsDir: process.env.RUNS_DIR || 'runs',
  dataDir: process.env.DATA_DIR || 'data',
  maxConcurrentRuns: Number(process.env.MAX_CONCURRENT_RUNS || 1),
  ...(maxUploadBytes ? { maxUploadBytes } : {}),
  maxRunMemory,
  ...(maxConcurrentUploads ? { maxConcurrentUploads } : {}),
  ...(maxDatasetUploadBytes ? { maxDatasetUploadBytes } : {}),
  ...(process.env.TORCH_PYTHON ? { python: process.env.TORCH_PYTHON } : {}),
  next: process.env.STUDIO_NO_NEXT === '1' ? false : { dev },
  ...(token ? { token } : {}),
  ...(process.env.ALLOWED_ORIGINS
    ? {
        allowedOrigins: process.env.ALLOWED_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      }
    : {}),
}).catch((e: Error) => {
  console.error(`cannot start: ${e.message}`);
  process.exit(2);
});
console.log(`Pretrain Studio on ${server.openUrl}${dev ? ' (dev)' : ''}`);
if (server.token) console.log('Every request needs the token: open the link above, or send "Authorization: Bearer <token>" (socket.io: auth: { token }).');

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) process.exit(1); // a second Ctrl-C does not wait
    closing = true;
    console.log('stopping: running runs are marked interrupted and can be resumed');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
