// The API's route table on a real server (without Next): each area's routes are reached, a path
// with routes of other methods answers 405 listing them, and paths outside every area 404.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createStudioServer, type StudioServer } from '../app';
import { api, tempDir } from '../test-support';

let server: StudioServer;
let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

before(async () => {
  dirs = [await tempDir('studio-runs-'), await tempDir('studio-data-')];
  server = await createStudioServer({ port: 0, runsDir: dirs[0].path, dataDir: dirs[1].path, next: false });
});

after(async () => {
  await server.close();
  for (const d of dirs) await d.remove();
});

test("405 lists the methods a path has, in the order of the areas (a browser run's POST, then its files' GET)", async () => {
  const id = '0000000000000';
  for (const [path, allow] of [
    ['/api/runs', 'GET, POST'],
    [`/api/runs/${id}/events`, 'POST, GET'],
    [`/api/runs/${id}/checkpoints`, 'POST, GET'],
    [`/api/runs/${id}/stop`, 'POST'],
    ['/api/checkpoints', 'POST'],
    ['/api/executors', 'GET'],
    ['/api/export/torch', 'POST'],
  ]) {
    const reply = await fetch(server.url + path, { method: 'DELETE' });
    assert.equal(reply.status, 405, path);
    assert.equal(reply.headers.get('allow'), allow, path);
    assert.deepEqual(await reply.json(), { error: 'DELETE is not allowed here' });
  }
});

test('every area answers; a path outside them is a 404 naming it, a bad escape a 400', async () => {
  assert.equal((await api(server.url, '/api/health')).json.ok, true);
  assert.deepEqual((await api(server.url, '/api/runs')).json, { runs: [] });
  assert.equal((await api(server.url, '/api/executors')).json.node.available, true);
  assert.match((await api(server.url, '/api/checkpoints/0000000000000')).json.error, /no uploaded checkpoint/);
  assert.match((await api(server.url, '/api/runs/0000000000000/log')).json.error, /no run/);
  assert.equal((await api(server.url, '/api/export/torch', { json: {} })).status, 400);
  assert.deepEqual((await api(server.url, '/api/runs/x/y/z')).json, { error: 'no API route /api/runs/x/y/z' });
  const badEscape = await api(server.url, '/api/runs/%E0%A4%A');
  assert.equal(badEscape.status, 400);
  assert.match(badEscape.json.error, /malformed percent-encoding/);
});
