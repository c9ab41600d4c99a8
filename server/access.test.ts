// A server bound beyond loopback requires its token on every HTTP request, WebSocket upgrade and
// socket.io connection, and refuses other sites' origins. 127.0.0.2 stands in for a public
// address: it is not a name the loopback mode accepts, yet nothing leaves this machine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { TOKEN_PATTERN } from './access';
import { createStudioServer, type StudioServer } from './app';
import { api, smokePipeline, tempDir, waitFor } from './test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  dirs = [runs, data];
  server = await createStudioServer({
    host: '127.0.0.2',
    port: 0,
    runsDir: runs.path,
    dataDir: data.path,
    next: false,
    allowedOrigins: ['https://studio.example.org'],
  });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

/** A raw request (fetch will not send Origin or Cookie headers as given). */
function raw(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    request(server.url + path, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** Connects a socket.io client; resolves 'connected' or the connect_error message. */
function socketOutcome(options: { auth?: object; extraHeaders?: Record<string, string> }): Promise<string> {
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, ...options });
  return new Promise((resolve) => {
    socket.on('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.on('connect_error', (e) => {
      socket.close();
      resolve(e.message);
    });
  });
}

test('bound beyond loopback, the server makes a token and prints it in the link', () => {
  assert.ok(server.token && TOKEN_PATTERN.test(server.token), 'a generated token');
  assert.equal(server.openUrl, `${server.url}/?token=${server.token}`);
});

test('HTTP: no token or a wrong one is 401; the right one, as a header or the cookie from ?token=, works', async () => {
  const none = await raw('/api/health');
  assert.equal(none.status, 401);
  assert.match(JSON.parse(none.body).error, /needs its access token/);
  assert.match(String(none.headers['www-authenticate']), /^Bearer/);
  assert.equal((await raw('/api/runs', { 'content-type': 'application/json' }, 'POST')).status, 401, 'a submission without the token');
  assert.equal((await raw('/', {})).status, 401, 'pages too');
  assert.equal((await raw('/api/health', { authorization: 'Bearer wrong-token-0123456789' })).status, 401);
  assert.equal((await raw('/api/health', { authorization: `Bearer ${server.token}` })).status, 200);
  assert.equal((await api(server.url, '/api/health', { headers: { authorization: `Bearer ${server.token}` } })).json.ok, true);

  // Opening the printed link: the token becomes an HttpOnly, SameSite=Strict cookie and leaves the URL.
  assert.equal((await raw('/?token=wrong-token-0123456789')).status, 401);
  const login = await raw(`/runs?token=${server.token}&x=1`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/runs?x=1');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^studio_token_${server.port}=${server.token}; Path=/; HttpOnly; SameSite=Strict$`));
  const session = cookie.split(';')[0];
  assert.equal((await raw('/api/health', { cookie: session })).status, 200);
  assert.equal((await raw('/api/health', { cookie: `other=1; ${session}` })).status, 200);
  assert.equal((await raw('/api/health', { cookie: `studio_token_${server.port}=nope-nope-nope-nope` })).status, 401);
  assert.equal((await raw('/anything', { cookie: session })).status, 404, 'past the gate (no web app in this test)');
});

test("HTTP: with the token, another site's Origin is refused; the server's own and listed origins are not", async () => {
  const auth = { authorization: `Bearer ${server.token}` };
  const evil = await raw('/api/health', { ...auth, origin: 'https://evil.example' });
  assert.equal(evil.status, 403);
  assert.match(JSON.parse(evil.body).error, /https:\/\/evil\.example are not allowed/);
  assert.equal((await raw('/api/health', { ...auth, origin: 'null' })).status, 403);
  assert.equal((await raw('/api/health', { ...auth, origin: server.url })).status, 200);
  assert.equal((await raw('/api/health', { ...auth, origin: 'https://studio.example.org' })).status, 200);
  assert.equal((await raw(`/?token=${server.token}`, { origin: 'https://evil.example' })).status, 403, 'no cookie for a cross-site login');
});

test('socket.io: refused without the token, with a wrong one or from another origin; joins with auth.token or the cookie', async () => {
  assert.match(await socketOutcome({}), /^unauthorized/);
  assert.match(await socketOutcome({ auth: { token: 'wrong-token-0123456789' } }), /^unauthorized/);
  assert.match(await socketOutcome({ auth: { token: 42 } }), /^unauthorized/);
  assert.equal(await socketOutcome({ auth: { token: server.token } }), 'connected');
  assert.equal(await socketOutcome({ extraHeaders: { cookie: `studio_token_${server.port}=${server.token}` } }), 'connected');
  assert.notEqual(await socketOutcome({ auth: { token: server.token }, extraHeaders: { origin: 'https://evil.example' } }), 'connected');
  assert.equal(await socketOutcome({ auth: { token: server.token }, extraHeaders: { origin: 'https://studio.example.org' } }), 'connected');

  // An authorised socket works: subscribing to a real run gets its history.
  const { id } = (
    await api(server.url, '/api/runs', { json: { pipeline: smokePipeline(), steps: 2, backend: 'cpu' }, headers: { authorization: `Bearer ${server.token}` } })
  ).json;
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: server.token } });
  try {
    const ack = await new Promise<any>((resolve) => socket.emit('subscribe', { runId: id }, resolve));
    assert.equal(ack.ok, true);
    await waitFor('the run to end', async () =>
      ['completed', 'failed'].includes((await api(server.url, `/api/runs/${id}`, { headers: { authorization: `Bearer ${server.token}` } })).json.state),
    );
  } finally {
    socket.close();
  }
});

test("other WebSocket upgrades (Next's dev socket) pass the same gate", async () => {
  const status = (headers: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.2', () => {
        socket.write(
          `GET /_next/webpack-hmr HTTP/1.1\r\nhost: 127.0.0.2:${server.port}\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers}\r\n`,
        );
      });
      let reply = '';
      socket.on('data', (c) => {
        reply += c;
        socket.destroy();
        resolve(reply.split('\r\n')[0]);
      });
      socket.on('error', reject);
      socket.setTimeout(500, () => {
        socket.destroy();
        resolve('no reply (passed the gate)');
      });
    });
  assert.equal(await status(''), 'HTTP/1.1 401 Unauthorized');
  assert.equal(await status(`authorization: Bearer ${server.token}\r\norigin: https://evil.example\r\n`), 'HTTP/1.1 403 Forbidden');
  assert.equal(await status(`cookie: studio_token_${server.port}=${server.token}\r\n`), 'no reply (passed the gate)');
});

test('a short STUDIO_TOKEN is refused; a token given on loopback is required there too', async () => {
  await assert.rejects(createStudioServer({ port: 0, token: 'short', next: false }), /at least|16 to 512/);
  const runs = await tempDir('studio-runs-');
  const local = await createStudioServer({ port: 0, runsDir: runs.path, dataDir: dirs[1].path, next: false, token: 'a-local-token-of-some-length' });
  try {
    assert.equal((await api(local.url, '/api/health')).status, 401);
    assert.equal((await api(local.url, '/api/health', { headers: { authorization: 'Bearer a-local-token-of-some-length' } })).status, 200);
  } finally {
    await local.close();
    await runs.remove();
  }
});

test('npm start beyond loopback prints the link with the token (STUDIO_TOKEN, or a generated one)', async () => {
  const runs = await tempDir('studio-runs-');
  const start = (env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, STUDIO_NO_NEXT: '1', PORT: '0', HOST: '127.0.0.2', RUNS_DIR: runs.path, DATA_DIR: dirs[1].path, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    return { child, output: () => output, exited: new Promise<number | null>((r) => child.once('exit', r)) };
  };
  try {
    const given = start({ STUDIO_TOKEN: 'my-own-token-0123456789' });
    try {
      const link = await waitFor('the link', () => /on (http:\/\/127\.0\.0\.2:\d+\/\?token=\S+)/.exec(given.output())?.[1]);
      assert.match(link, /\?token=my-own-token-0123456789$/);
      // The hint is the next line: it may arrive a moment after the link.
      await waitFor('the token hint', () => /Authorization: Bearer <token>/.test(given.output()));
      const origin = new URL(link).origin;
      assert.equal((await api(origin, '/api/health')).status, 401);
      assert.equal((await api(origin, '/api/health', { headers: { authorization: 'Bearer my-own-token-0123456789' } })).status, 200);
    } finally {
      given.child.kill('SIGKILL');
    }
    const weak = start({ STUDIO_TOKEN: 'short' });
    assert.equal(await weak.exited, 2);
    assert.match(weak.output(), /cannot start: STUDIO_TOKEN must be 16 to 512 characters/);
  } finally {
    await runs.remove();
  }
});
