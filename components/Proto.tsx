'use client';
import { ReactFlow, ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import Editor, { loader } from '@monaco-editor/react';
import { useEffect, useState } from 'react';
import { registry } from '../engine/nodes';
import { compile } from '../engine/compiler/compile';
import seed from '../pipelines/seed.json';

let ready: Promise<void> | undefined;
function loadMonaco() {
  ready ??= (async () => {
    (self as any).MonacoEnvironment = { getWorker(_: string, label: string) {
      if (label === 'json') return new Worker(new URL('monaco-editor/language/json/json.worker.js', import.meta.url), { type: 'module' });
      return new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' });
    } };
    const monaco = await import('monaco-editor');
    loader.config({ monaco });
  })();
  return ready;
}

export default function Proto() {
  const [ok, setOk] = useState(false);
  useEffect(() => { loadMonaco().then(() => setOk(true)); }, []);
  const r = compile(seed);
  return <div style={{ display: 'flex', height: '100vh' }}>
    <div style={{ flex: 1 }}><ReactFlowProvider><ReactFlow nodes={seed.nodes.map(n => ({ id: n.id, position: n.position, data: { label: registry.get(n.type)?.title } }))} edges={[]} /></ReactFlowProvider></div>
    <div style={{ width: 400 }}>{String(r.ok)}{ok && <Editor height="90vh" language="json" value={JSON.stringify(seed, null, 2)} options={{ editContext: false }} />}</div>
  </div>;
}
