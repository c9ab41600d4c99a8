// The right column: Inspector and JSON tabs. The JSON editor mounts on first use and then stays
// mounted (hidden), so switching tabs keeps its state and costs nothing.
import dynamic from 'next/dynamic';
import { useEffect, useState } from 'react';
import { studio, useStudio } from '../lib/store';
import { Inspector } from './Inspector';
import { cls } from './theme';

const MonacoJson = dynamic(() => import('./MonacoJson'), { ssr: false, loading: () => <div className="json-loading muted">Loading editor…</div> });

export function RightPanel() {
  const panel = useStudio((s) => s.panel);
  const [jsonMounted, setJsonMounted] = useState(false);
  useEffect(() => {
    if (panel === 'json') setJsonMounted(true);
  }, [panel]);
  const tab = (id: 'inspector' | 'json', label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={panel === id}
      data-testid={`tab-${id}`}
      className={cls('tab', panel === id && 'is-active')}
      onClick={() => studio.getState().setPanel(id)}
    >
      {label}
    </button>
  );
  return (
    <aside className="right-panel">
      <div className="tabs" role="tablist">
        {tab('inspector', 'Inspector')}
        {tab('json', 'JSON')}
      </div>
      <div className="tab-body" hidden={panel !== 'inspector'}>
        <Inspector />
      </div>
      {jsonMounted && (
        <div className="tab-body json-body" hidden={panel !== 'json'}>
          <MonacoJson />
        </div>
      )}
    </aside>
  );
}
