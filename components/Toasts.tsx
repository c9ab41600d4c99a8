// Short messages over the canvas (opened a file, refused a connection); they leave by themselves.
import { useEffect } from 'react';
import { studio, useStudio, type Notice } from '../lib/store';

function Toast({ notice }: { notice: Notice }) {
  useEffect(() => {
    const timer = setTimeout(() => studio.getState().dismiss(notice.id), notice.kind === 'error' ? 7000 : 4000);
    return () => clearTimeout(timer);
  }, [notice]);
  return (
    <div className={`toast ${notice.kind}`} data-testid="toast" role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button type="button" className="close" aria-label="Dismiss" onClick={() => studio.getState().dismiss(notice.id)}>
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const notices = useStudio((s) => s.notices);
  return (
    <div className="toasts">
      {notices.map((n) => (
        <Toast key={n.id} notice={n} />
      ))}
    </div>
  );
}
