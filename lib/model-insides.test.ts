// The inside view in the run stream: `model/insides` events (docs/events.md) kept per model block,
// replaced when a step is replayed, dropped past a resume point, and turned into what each inner
// block draws (charts across the layers inside the repeat, single numbers outside it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addInsideView, INSIDE_VIEWS_KEPT, insideBars, insideFace, reportsInsides, type ModelInsidesEvent } from './model-insides';
import { applyEvents, emptyRun, type RunView, type WireEvent } from './run-stream';

const RUN = 'r0000000000001';
const LAYERS = 3;

/** A view shaped as the contract writes it, with numbers that depend on the step and the layer. */
function insides(step: number, nodeId = 'model'): ModelInsidesEvent {
  const perLayer = (base: number) => Array.from({ length: LAYERS }, (_, i) => base + i / 10 + step / 1000);
  return {
    type: 'model/insides',
    nodeId,
    step,
    data: {
      layers: LAYERS,
      blocks: {
        wte: { act_rms: [0.02 + step / 1e4], grad_norm: [0.5] },
        norm1: { act_rms: perLayer(1), grad_norm: perLayer(0.01) },
        attn: { act_rms: perLayer(0.3), grad_norm: perLayer(0.2), attn_entropy: perLayer(2) },
        res1: { act_rms: perLayer(1.1) },
        ffn: { act_rms: perLayer(0.4), grad_norm: perLayer(0.3) },
        norm_f: { act_rms: [1], grad_norm: [0.01] },
        lm_head: { act_rms: [3.2] },
      },
    },
  };
}

const step = (k: number) => ({ type: 'step' as const, step: k, data: { loss: 5 - k / 100, tokens_per_sec: 1000, step_ms: 10, elapsed_s: k / 100 } });
const started = (k: number, resumedFrom?: string) => ({
  type: 'run/started' as const,
  step: k,
  data: { totalSteps: 100, backend: 'cpu', parameters: 1000, tokensPerStep: 64, ...(resumedFrom ? { resumedFrom } : {}) },
});

let seq = 0;
const wire = (events: object[]): WireEvent[] => events.map((e) => ({ ...e, runId: RUN, seq: ++seq }) as WireEvent);

/** A run up to `to` with an inside view at step 1 and every `every` steps, each before its step event. */
function stream(from: number, to: number, every: number, resumedFrom?: string): object[] {
  const events: object[] = [started(from, resumedFrom)];
  for (let k = from + 1; k <= to; k++) {
    if (k === 1 || k % every === 0) events.push(insides(k));
    events.push(step(k));
  }
  return events;
}

test('the latest inside view of each model block is kept, with older ones up to the limit', () => {
  seq = 0;
  const run = applyEvents(emptyRun(RUN), wire(stream(0, 100, 5)));
  const views = run.insides!.model;
  assert.equal(views.length, INSIDE_VIEWS_KEPT);
  assert.equal(views.at(-1)!.step, 100);
  assert.deepEqual(
    views.map((v) => v.step),
    [65, 70, 75, 80, 85, 90, 95, 100],
  );
  assert.equal(views.at(-1)!.layers, LAYERS);
  assert.deepEqual(views.at(-1)!.blocks.attn.attn_entropy, insides(100).data.blocks.attn.attn_entropy);
});

test('a second model block keeps its own views', () => {
  seq = 0;
  const run = applyEvents(emptyRun(RUN), wire([started(0), insides(1, 'model'), insides(1, 'draft'), step(1)]));
  assert.deepEqual(Object.keys(run.insides!).sort(), ['draft', 'model']);
});

test('a replayed step replaces its view; a resume drops the views past its checkpoint', () => {
  seq = 0;
  let run: RunView = applyEvents(emptyRun(RUN), wire(stream(0, 40, 10)));
  assert.deepEqual(
    run.insides!.model.map((v) => v.step),
    [1, 10, 20, 30, 40],
  );
  // Resumed from step 20: views at 30 and 40 belong to steps trained again.
  run = applyEvents(run, wire([started(20, 'ckpt-20')]));
  assert.deepEqual(
    run.insides!.model.map((v) => v.step),
    [1, 10, 20],
  );
  run = applyEvents(run, wire(stream(20, 30, 10, 'ckpt-20').slice(1)));
  assert.deepEqual(
    run.insides!.model.map((v) => v.step),
    [1, 10, 20, 30],
  );
  const again = addInsideView(run.insides!.model, { ...insides(30), data: { layers: LAYERS, blocks: { attn: { act_rms: [9, 9, 9] } } } });
  assert.deepEqual(
    again.map((v) => v.step),
    [1, 10, 20, 30],
  );
  assert.deepEqual(again.at(-1)!.blocks.attn.act_rms, [9, 9, 9]);
});

test('blocks inside the repeat get one chart per metric across the layers; the model’s own blocks single numbers', () => {
  seq = 0;
  const run = applyEvents(emptyRun(RUN), wire(stream(0, 20, 20)));
  const view = run.insides!.model.at(-1)!;
  const attn = insideFace(view, 'attn', true)!;
  assert.equal(attn.step, 20);
  assert.equal(attn.layers, LAYERS);
  assert.deepEqual(
    attn.charts.map((c) => c.metric),
    ['act_rms', 'grad_norm', 'attn_entropy'],
  );
  assert.deepEqual(attn.charts[2].values, [2.02, 2.12, 2.22]);
  assert.match(attn.charts[2].title, /step 20\nlayer 0: 2\.02\nlayer 1: 2\.12\nlayer 2: 2\.22$/);
  assert.deepEqual(attn.values, []);
  // A residual add has no params: no gradient chart.
  assert.deepEqual(
    insideFace(view, 'res1', true)!.charts.map((c) => c.metric),
    ['act_rms'],
  );
  const wte = insideFace(view, 'wte', false)!;
  assert.deepEqual(wte.charts, []);
  assert.deepEqual(
    wte.values.map((v) => [v.metric, v.text]),
    [
      ['act_rms', '0.022'],
      ['grad_norm', '0.5'],
    ],
  );
  // A tied head: logits only.
  assert.deepEqual(
    insideFace(view, 'lm_head', false)!.values.map((v) => v.metric),
    ['act_rms'],
  );
  // Blocks the view does not mention (block input and output, rope positions) show nothing.
  assert.equal(insideFace(view, 'in', true), null);
  assert.equal(insideFace(view, 'wpe', false), null);
  assert.equal(insideFace(undefined, 'attn', true), null);
});

test('non-finite numbers are kept as gaps, and malformed entries are dropped, not drawn', () => {
  const views = addInsideView([], {
    type: 'model/insides',
    nodeId: 'model',
    step: 5,
    data: { layers: 2, blocks: { ffn: { act_rms: [null, 1.5], grad_norm: 'oops' as never }, norm2: { act_rms: [] } } },
  });
  const ffn = insideFace(views[0], 'ffn', true)!;
  assert.deepEqual(
    ffn.charts.map((c) => [c.metric, c.values]),
    [['act_rms', [null, 1.5]]],
  );
  assert.match(ffn.charts[0].title, /layer 0: not finite/);
  assert.equal(insideFace(views[0], 'norm2', true), null);
  const single = insideFace(
    addInsideView([], { type: 'model/insides', nodeId: 'model', step: 5, data: { layers: 2, blocks: { norm_f: { act_rms: [null] } } } })[0],
    'norm_f',
    false,
  )!;
  assert.deepEqual(single.values[0].value, null);
  assert.equal(single.values[0].text, '–');
});

test('which inner kinds report numbers: positions only when learned', () => {
  assert.equal(reportsInsides('positions', { kind: 'learned' }), true);
  assert.equal(reportsInsides('positions', { kind: 'rope' }), false);
  assert.equal(reportsInsides('positions', {}), false);
  for (const kind of ['embedding', 'norm', 'attention', 'residual', 'ffn', 'lm_head']) assert.equal(reportsInsides(kind, {}), true, kind);
  for (const kind of ['block_in', 'block_out', 'repeat']) assert.equal(reportsInsides(kind, {}), false, kind);
});

test('chart bars: one per layer from zero, the largest full height, a non-finite value a tick, all inside the chart', () => {
  const bars = insideBars([1, 2, null, 0.5], 40, 15);
  assert.equal(bars.length, 4);
  assert.deepEqual(
    bars.map((b) => [b.finite, b.height]),
    [
      [true, 7],
      [true, 14],
      [false, 4],
      [true, 3.5],
    ],
  );
  for (const b of bars) {
    assert.equal(b.y + b.height, b.finite ? 14 : 15, 'bars stand on the baseline');
    assert.ok(b.x >= 0 && b.x + b.width <= 40, `bar within the chart: ${b.x} + ${b.width}`);
  }
  assert.ok(bars[0].x + bars[0].width < bars[1].x, 'bars do not touch');
  // Many layers in a narrow chart: still one visible bar each, inside the width.
  const many = insideBars(
    Array.from({ length: 48 }, (_, i) => i + 1),
    36,
    15,
  );
  assert.equal(many.length, 48);
  assert.ok(many.every((b) => b.width >= 1 && b.x >= -0.5 && b.x + b.width <= 36.5));
  // All zero: flat 1 px bars, no division by zero.
  assert.deepEqual(
    insideBars([0, 0], 20, 15).map((b) => b.height),
    [1, 1],
  );
});
