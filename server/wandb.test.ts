// W&B through the server: a run whose log node has `wandb` on streams its logged steps from the
// worker thread to a local stand-in for api.wandb.ai, and the log node's notice reaches watchers.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createStudioServer } from './app';
import { api, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

test('a run with wandb on streams to W&B and says so on the log node', async () => {
  const requests: { path: string; body: any }[] = [];
  const wandb = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text);
    requests.push({ path: req.url!, body });
    const reply =
      req.url === '/graphql'
        ? {
            data: {
              upsertBucket: { bucket: { name: body.variables.name, historyLineCount: 0, project: { name: body.variables.project, entity: { name: 'me' } } } },
            },
          }
        : {};
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
  });
  await new Promise<void>((r) => wandb.listen(0, '127.0.0.1', r));
  const wandbUrl = `http://127.0.0.1:${(wandb.address() as AddressInfo).port}`;
  const runs = await tempDir('studio-runs-');
  const data = await tempDir('studio-data-');
  const server = await createStudioServer({
    port: 0,
    runsDir: runs.path,
    dataDir: data.path,
    next: false,
    workerEnv: { ...process.env, WANDB_API_KEY: 'k'.repeat(40), WANDB_BASE_URL: wandbUrl },
  });
  try {
    const pipeline = smokePipeline((doc) => {
      doc.nodes.find((n: any) => n.id === 'log').params = { every: 1, wandb: true, wandb_project: 'studio-test' };
    });
    const { id } = (await api(server.url, '/api/runs', { json: { pipeline, steps: 5 } })).json;
    const watcher = new Watcher(server.url, id);
    await watcher.subscribe();
    await waitFor('the run to finish', () => watcher.finished(), 90_000);
    // The worker tells W&B the run is complete after its run/finished event; the notice comes
    // when W&B has answered, which on a busy machine can be after the last step.
    await waitFor('W&B to hear that the run is complete', () => requests.at(-1)?.body?.complete, 60_000);
    const notice = await waitFor('the log node notice', () => watcher.events.find((e) => e.type === 'node/notice'), 30_000);
    watcher.close();

    assert.equal(notice?.nodeId, 'log');
    assert.equal((notice!.data as { message: string }).message, `W&B: logging to ${wandbUrl}/me/studio-test/runs/${id}`);
    assert.equal(requests[0].path, '/graphql');
    assert.equal(requests[0].body.variables.name, id, 'the studio run id is the W&B run id (a resume continues it)');
    const stream = requests.slice(1);
    assert.ok(stream.every((r) => r.path === `/files/me/studio-test/${id}/file_stream`));
    const history = stream.flatMap((r) => r.body.files?.['wandb-history.jsonl']?.content ?? []).map((l: string) => JSON.parse(l));
    assert.deepEqual(
      history.map((h) => h._step),
      [1, 2, 3, 4, 5],
    );
    const logged = watcher.events.filter((e) => e.type === 'step').map((e) => (e.data as { loss: number }).loss);
    assert.deepEqual(
      history.map((h) => h['train/loss']),
      logged,
    );
    assert.deepEqual(stream.at(-1)!.body, { complete: true, exitcode: 0 });
  } finally {
    await server.close();
    await new Promise((r) => wandb.close(r));
    await runs.remove();
    await data.remove();
  }
});
