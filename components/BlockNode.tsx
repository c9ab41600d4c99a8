// The one canvas block for every node kind: title, typed ports (one Handle per port, id = port
// name, coloured by port type), key params at a glance, live values and errors.
// Everything is read from the engine registry, so a new kind needs no change here.
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { registry } from '../engine/nodes';
import type { PortSpec } from '../engine/nodes/define';
import { PORT_TYPES } from '../engine/ports';
import type { BlockFlowNode } from '../lib/flow';
import { formatNumber, formatValue, paramFields } from '../lib/param-form';
import { useStudio, type LiveValues } from '../lib/store';
import { Sparkline } from './Sparkline';
import { categoryAccent, cls } from './theme';

function Port({ name, spec, side }: { name: string; spec: PortSpec; side: 'in' | 'out' }) {
  const color = PORT_TYPES[spec.type]?.color ?? '#94a3b8';
  const tip = [`${spec.label}: ${spec.type}`, spec.optional && 'optional', spec.differentiate && 'differentiated', spec.description].filter(Boolean).join(' · ');
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

/** The status area a run fills: latest metrics and a sparkline of the first series. */
function LiveStatus({ live }: { live: LiveValues }) {
  const metrics = Object.entries(live.metrics).slice(0, 3);
  const series = live.series && Object.entries(live.series)[0];
  return (
    <div className="block-live" data-testid="block-live">
      {metrics.map(([name, value]) => (
        <span key={name} className="live-metric">
          <span className="k">{name}</span> {formatNumber(Number(value.toPrecision(4)))}
        </span>
      ))}
      {series && <Sparkline values={series[1]} />}
    </div>
  );
}

const fieldsByKind = new Map<string, ReturnType<typeof paramFields>>();
function defaultsOf(kind: string) {
  const def = registry.get(kind);
  if (!def) return [];
  if (!fieldsByKind.has(kind)) fieldsByKind.set(kind, paramFields(def.params));
  return fieldsByKind.get(kind)!;
}

function BlockNodeView({ id, data, selected }: NodeProps<BlockFlowNode>) {
  const def = registry.get(data.type);
  const problems = useStudio(useShallow((s) => s.diagnostics.filter((d) => d.nodeId === id)));
  const live = useStudio((s) => s.live[id]);
  const inputs = def ? Object.entries(def.inputs) : [];
  const outputs = def ? Object.entries(def.outputs) : [];
  const fields = defaultsOf(data.type);
  const summary = (def?.summary ?? []).map((key) => {
    const value = key in data.params ? data.params[key] : fields.find((f) => f.key === key)?.default;
    return [key, formatValue(value)] as const;
  });
  return (
    <div
      className={cls('block', selected && 'is-selected', problems.length > 0 && 'has-error', !def && 'is-unknown')}
      data-node-type={data.type}
      data-node-id={id}
      style={{ '--cat': categoryAccent(def?.category) } as React.CSSProperties}
    >
      {inputs.length > 0 && (
        <div className="ports ports-in">
          {inputs.map(([name, spec]) => <Port key={name} name={name} spec={spec} side="in" />)}
        </div>
      )}
      <div className="block-body">
        <div className="block-head">
          <span className="block-title">{def?.title ?? data.type}</span>
          {id !== data.type && <span className="block-id">{id}</span>}
        </div>
        {!def && <div className="block-note">unknown kind '{data.type}'</div>}
        {summary.length > 0 && (
          <dl className="block-summary">
            {summary.map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        )}
        {live && <LiveStatus live={live} />}
        {problems.length > 0 && (
          <ul className="block-errors" data-testid="block-errors">
            {problems.slice(0, 2).map((d, i) => (
              <li key={i}>
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
          {outputs.map(([name, spec]) => <Port key={name} name={name} spec={spec} side="out" />)}
        </div>
      )}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
