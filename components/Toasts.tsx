// Short messages (opened a file, refused a connection); they leave by themselves. They sit in the
// bottom panel's header, right of its tabs, so they never cover a block: the newest one on one
// line (the whole text in its tooltip, and unfolded below the header while hovered), with how many
// more are waiting.
import { useEffect } from 'react';
import { studio, useStudio, type Notice } from '../lib/store';

function Toast({ notice, more }: { notice: Notice; more: number }) {
  useEffect(() => {
    const timer = setTimeout(() => studio.getState().dismiss(notice.id), notice.kind === 'error' ? 7000 : 4000);
    return () => clearTimeout(timer);
  }, [notice]);
  return (
    <div className={`toast ${notice.kind}`} data-testid="toast" role={notice.kind === 'error' ? 'alert' : 'status'} title={notice.text}>
      <span className="toast-text">{notice.text}</span>
      {more > 0 && (
        <span className="toast-more" title={`${more} more message${more === 1 ? '' : 's'} after this one`}>
          +{more}
        </span>
      )}
      <button type="button" className="close" aria-label="Dismiss" onClick={() => studio.getState().dismiss(notice.id)}>
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const notices = useStudio((s) => s.notices);
  // All are mounted (each keeps its own timer); the stylesheet shows only the newest.
  return (
    <div className="toasts">
      {notices.map((n, i) => (
        <Toast key={n.id} notice={n} more={i === notices.length - 1 ? notices.length - 1 : 0} />
      ))}
    </div>
  );
}
