// The one canvas block for every node kind: title, typed ports (one Handle per port, id = port
// name, coloured by port type), key params at a glance, live values and errors.
// Everything is read from the engine registry, so a new kind needs no change here; what a kind
// shows during a run comes from lib/live-view.ts.
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, useContext, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { modelGraphRegistry } from '../engine/model-graph/kinds';
import { registry } from '../engine/nodes';
import type { PortSpec } from '../engine/nodes/define';
import { PORT_TYPES } from '../engine/ports';
import { checkpointOnServer, downloadBrowserCheckpoint, isBrowserRunHere } from '../lib/browser-runs';
import type { BlockFlowNode } from '../lib/flow';
import { liveDisplay, type LiveDisplay } from '../lib/live-view';
import { reportsInsides } from '../lib/model-insides';
import { formatNumber, formatValue, paramFields } from '../lib/param-form';
import { samePipeline, trainedAsIs, useRunPipeline } from '../lib/run-pipelines';
import { useRuns } from '../lib/runs-store';
import { studio, useStudio, type LiveValues } from '../lib/store';
import { LiveRunContext } from './live-run';
import { ForkFromHere, ForkOptimizerState } from './ForkFromHere';
import { InsideRow, summaryText } from './InsideView';
import { ModelViewContext } from './model-view-context';
import { BlockMemory } from './MemoryEstimate';
import { continueOnServer } from './run-actions';
import { Sparkline } from './Sparkline';
import { categoryAccent, cls } from './theme';

function Port({ name, spec, side }: { name: string; spec: PortSpec; side: 'in' | 'out' }) {
  const color = PORT_TYPES[spec.type]?.color ?? '#94a3b8';
  const tip = [`${spec.label}: ${spec.type}`, spec.optional && 'optional', spec.differentiate && 'differentiated', spec.description]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="port" title={tip} data-port={name}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Top : Position.Bottom}
        id={name}
        className={cls('handle', spec.optional && 'is-optional')}
        style={{ '--port': color } as React.CSSProperties}
      />
      <span className="port-label" style={{ color }}>
        {spec.label}
      </span>
    </div>
  );
}

/** Live values set directly in the document store (a run in the browser). */
function LiveStatus({ live }: { live: LiveValues }) {
  const metrics = Object.entries(live.metrics).slice(0, 3);
  const series = live.series && Object.entries(live.series)[0];
  return (
    <div className="block-live" data-testid="block-live">
      <div className="live-metrics">
        {metrics.map(([name, value]) => (
          <span key={name} className="live-metric">
            <span className="k">{name}</span> {formatNumber(Number(value.toPrecision(4)))}
          </span>
        ))}
      </div>
      {series && <Sparkline values={series[1]} />}
    </div>
  );
}

/** A run's trend for this block, drawn in the title row (where it costs no height). */
function HeadSpark({ spark }: { spark: NonNullable<LiveDisplay['spark']> }) {
  return (
    <span className="head-spark" title={`${spark.label}, last ${spark.values.length} values`} data-testid="block-spark">
      <Sparkline values={spark.values} width={64} height={16} />
    </span>
  );
}

/**
 * What a server run reported for this block: its numbers, a sample or a checkpoint. Each area is
 * drawn from the run's start, empty until its first report, and holds a fixed height, so the
 * blocks keep their size through a run and the fitted view does not shrink as results arrive.
 */
function RunFace({ kind, display, runId, editing }: { kind: string; display: LiveDisplay; runId: string | null; editing: boolean }) {
  const { metrics, notices } = display;
  return (
    <>
      {kind !== 'checkpoint' &&
        kind !== 'sample' &&
        (metrics.length > 0 ? (
          <div className="block-live" data-testid="block-live">
            {metrics.map((m) => (
              <span key={m.key} className="live-metric" data-live={m.key} data-value={m.value} title={m.title}>
                <span className="k">{m.label}</span> {m.text}
              </span>
            ))}
          </div>
        ) : (
          <div className="block-live is-waiting" data-testid="block-live-waiting" title="No numbers from this block yet in this run">
            –
          </div>
        ))}
      {kind === 'checkpoint' && <CheckpointRow checkpoint={display.checkpoint} runId={runId} editing={editing} />}
      {kind === 'sample' && <SampleArea sample={display.sample} />}
      {/* The newest notice, one line; the whole text in its tooltip. */}
      {notices.length > 0 && (
        <div className="block-notice" data-testid="block-notice" title={notices.join('\n')}>
          ⓘ {notices.at(-1)}
        </div>
      )}
    </>
  );
}

/** The latest sample in a fixed-height box that scrolls (its step sits in the title row). */
function SampleArea({ sample }: { sample: LiveDisplay['sample'] }) {
  return sample ? (
    <div className="block-sample" data-testid="block-sample">
      <pre className="nodrag nowheel" title={sample.text}>
        {sample.text}
      </pre>
    </div>
  ) : (
    <div className="block-sample is-waiting" data-testid="block-sample-waiting">
      <pre className="muted">no sample yet</pre>
    </div>
  );
}

/** The newest checkpoint's download link (from memory for a browser run in this tab). */
function CheckpointRow({ checkpoint, runId, editing }: { checkpoint: LiveDisplay['checkpoint']; runId: string | null; editing: boolean }) {
  // A browser run this tab trains holds its checkpoints: download them from memory (both files, at
  // once, even before the server has stored them). Other runs' are the server's, a recorded browser
  // run's included.
  const browser = isBrowserRunHere(runId);
  const executor = useRuns((s) => (runId ? (s.runs[runId]?.status ?? s.statuses[runId])?.executor : undefined));
  if (!checkpoint) {
    return (
      <div className="block-live block-checkpoint is-waiting" data-testid="checkpoint-waiting">
        <span className="muted">no checkpoint yet</span>
      </div>
    );
  }
  return (
    <div className="block-live block-checkpoint">
      <a
        className="nodrag"
        href={browser ? '#' : checkpoint.href}
        download={browser ? undefined : true}
        data-testid="checkpoint-link"
        title={browser ? 'Download the checkpoint (.safetensors and .json)' : 'Download the weights (.safetensors)'}
        onClick={
          browser
            ? (e) => {
                e.preventDefault();
                if (!downloadBrowserCheckpoint(runId!, checkpoint.name))
                  studio.getState().notify(`${checkpoint.name} is no longer kept (keep_last pruned it).`, 'error');
              }
            : undefined
        }
      >
        ⤓ {checkpoint.name}
      </a>
      <span className="muted">
        {formatBytesShort(checkpoint.bytes)} · step {checkpoint.step}
      </span>
      {/* It continues the editor's pipeline: offered on the studio's canvas only. */}
      {editing && (browser || executor === 'browser') && <ContinueOnServer runId={runId!} name={checkpoint.name} step={checkpoint.step} />}
      {runId && checkpointOnServer(runId, checkpoint.name) && <ForkFromHere runId={runId} checkpoint={checkpoint.name} inStudio={editing} />}
    </div>
  );
}

/** Uploads a browser run's checkpoint and continues it in a server run (run-actions.ts). */
function ContinueOnServer({ runId, name, step }: { runId: string; name: string; step: number }) {
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      await continueOnServer(runId, name, step);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className="link nodrag checkpoint-continue"
      data-testid="checkpoint-continue"
      disabled={busy}
      title={`Train on from ${name} (step ${step + 1} on) on the server (Node executor)`}
      onClick={() => void go()}
    >
      {busy ? 'Uploading…' : '⇪ Continue on server'}
    </button>
  );
}

function formatBytesShort(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toPrecision(3)} MB` : `${Math.round(bytes / 1000)} kB`;
}

const NO_PROBLEMS: never[] = [];
const NOTHING_YET: LiveDisplay = { metrics: [], notices: [] };

const fieldsByKind = new Map<string, ReturnType<typeof paramFields>>();
/** A pipeline kind, or a kind inside the model block. */
const kindOf = (kind: string) => registry.get(kind) ?? modelGraphRegistry.get(kind);

function defaultsOf(kind: string) {
  const def = kindOf(kind);
  if (!def) return [];
  if (!fieldsByKind.has(kind)) fieldsByKind.set(kind, paramFields(def.params));
  return fieldsByKind.get(kind)!;
}

/** "3 problems inside" on a model block, and the way in (naming the run's latest inside view). */
function InsideLine({ id, count, insideStep }: { id: string; count: number; insideStep?: number }) {
  return (
    <span className="block-inside">
      <button
        type="button"
        className="link nodrag"
        data-testid="open-model"
        data-inside-step={insideStep}
        title={
          insideStep === undefined
            ? 'Open the model: its layers as blocks (or double-click)'
            : `Inside view at step ${insideStep}: open the model to see its numbers per layer (or double-click)`
        }
        onClick={() => studio.getState().openModel(id)}
      >
        Open ▸
      </button>
      {count > 0 && (
        <span className="inside-problems" data-testid="problems-inside">
          {count} problem{count > 1 ? 's' : ''} inside
        </span>
      )}
    </span>
  );
}

function BlockNodeView({ id, data, selected, parentId }: NodeProps<BlockFlowNode>) {
  const def = kindOf(data.type);
  const inside = useContext(ModelViewContext);
  const { runId: outerRunId, editing } = useContext(LiveRunContext);
  const runId = inside ? null : outerRunId; // inner blocks have no run numbers of their own
  // Selected as the store holds them (useShallow compares items by identity), reshaped after.
  const own = useStudio(
    useShallow((s) =>
      !editing
        ? NO_PROBLEMS
        : inside
          ? s.diagnostics.filter((d) => d.nodeId === inside.modelId && d.innerNodeId === id)
          : s.diagnostics.filter((d) => d.nodeId === id),
    ),
  );
  const diagnostics = useMemo(
    () =>
      inside
        ? own.map((d) => ({ ...d, field: d.field?.slice(id.length + 1) || undefined })) // `attn.n_kv_heads` -> `n_kv_heads` on attn
        : own.filter((d) => d.innerNodeId === undefined),
    [own, inside, id],
  );
  const problemsInside = own.length - diagnostics.length;
  const submitted = useRuns(useShallow((s) => (editing ? s.submitProblems.filter((p) => p.nodeId === id) : NO_PROBLEMS)));
  const live = useStudio((s) => s.live[id]);
  // In the editor, only a block as the run trained it shows the run's numbers (not another
  // pipeline's, nor numbers from before an edit); a run's page draws the run's own pipeline.
  const trained = useRunPipeline(editing ? runId : null);
  const trainedDoc = trained && 'doc' in trained ? trained.doc : undefined;
  const sameDoc = useStudio((s) => !!trainedDoc && samePipeline(trainedDoc, s.doc));
  const belongs = !editing || (sameDoc && trainedAsIs(trainedDoc!, { id, type: data.type, params: data.params }));
  const runNode = useRuns((s) => (runId && belongs ? s.runs[runId]?.nodes[id] : undefined));
  const insideStep = useRuns((s) => (runId && belongs && def?.composite ? s.runs[runId]?.insides?.[id]?.at(-1)?.step : undefined));
  const tokensPerSec = useRuns((s) => (runId && data.type === 'get_batch' ? s.runs[runId]?.charts.tokens_per_sec : undefined));
  // A block the run covers gets its run face from the start, empty until the block reports.
  const display = useMemo(
    () => (runId && belongs ? (liveDisplay(data.type, runNode, { runId, tokensPerSec }, data.params) ?? NOTHING_YET) : null),
    [data.type, data.params, runNode, runId, tokensPerSec, belongs],
  );
  // Compile problems, the server's refusals, then the run's error: one list, one style.
  const problems = useMemo(() => {
    const seen = new Set(diagnostics.map((d) => `${d.field ?? ''}:${d.message}`));
    const list = [...diagnostics.map((d) => ({ field: d.field, message: d.message })), ...submitted.filter((p) => !seen.has(`${p.field ?? ''}:${p.message}`))];
    if (display?.error) list.push({ field: display.error.field, message: display.error.message });
    return list;
  }, [diagnostics, submitted, display?.error]);
  const inputs = def ? Object.entries(def.inputs) : [];
  const outputs = def ? Object.entries(def.outputs) : [];
  const fields = defaultsOf(data.type);
  const summary = [
    ...(def?.summary ?? []).map((key) => {
      const value = key in data.params ? data.params[key] : fields.find((f) => f.key === key)?.default;
      return [key, formatValue(value)] as const;
    }),
    ...Object.entries(def?.facts?.(data.params) ?? {}).map(([key, value]) => [key, formatValue(value)] as const),
  ];
  const repeats = data.type === 'repeat' ? (data.params.n ?? fields.find((f) => f.key === 'n')?.default) : undefined;
  const title = repeats !== undefined ? `Transformer block × ${formatValue(repeats)}` : (def?.title ?? data.type);
  return (
    <div
      className={cls('block', selected && 'is-selected', problems.length > 0 && 'has-error', display?.error && 'has-run-error', !def && 'is-unknown')}
      data-node-type={data.type}
      data-node-id={id}
      style={{ '--cat': categoryAccent(def?.category) } as React.CSSProperties}
    >
      {inputs.length > 0 && (
        <div className="ports ports-in">
          {inputs.map(([name, spec]) => (
            <Port key={name} name={name} spec={spec} side="in" />
          ))}
        </div>
      )}
      <div className="block-body">
        <div className="block-head">
          <span className="block-title">{title}</span>
          {/* In the title row, so opening the model costs the block no height. */}
          {def?.composite && !inside && <InsideLine id={id} count={problemsInside} insideStep={insideStep} />}
          {display?.spark && <HeadSpark spark={display.spark} />}
          {display?.sample && (
            <span className="head-note" data-testid="sample-step">
              step {display.sample.step}
            </span>
          )}
          {id !== data.type && <span className="block-id">{id}</span>}
        </div>
        {!def && <div className="block-note">unknown kind '{data.type}'</div>}
        {/* Inside the model during a run: the inside view in place of the summary (same room). */}
        {inside?.insides && reportsInsides(data.type, data.params) ? (
          <InsideRow id={id} perLayer={parentId !== undefined} summary={summaryText(summary)} />
        ) : (
          summary.length > 0 && (
            <dl className="block-summary">
              {summary.map(([key, value]) => (
                <div key={key}>
                  <dt>{key}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          )
        )}
        {editing && !display && !inside && <BlockMemory nodeId={id} kind={data.type} />}
        {display ? <RunFace kind={data.type} display={display} runId={runId} editing={editing} /> : live && <LiveStatus live={live} />}
        {display && data.type === 'optimizer' && runId && <ForkOptimizerState runId={runId} />}
        {problems.length > 0 && (
          <ul className="block-errors" data-testid="block-errors">
            {problems.slice(0, 2).map((d, i) => (
              <li key={i} title={d.message}>
                {d.field && <b>{d.field}: </b>}
                {d.message}
              </li>
            ))}
            {problems.length > 2 && <li className="more">+{problems.length - 2} more</li>}
          </ul>
        )}
      </div>
      {outputs.length > 0 && (
        <div className="ports ports-out">
          {outputs.map(([name, spec]) => (
            <Port key={name} name={name} spec={spec} side="out" />
          ))}
        </div>
      )}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
