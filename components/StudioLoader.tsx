'use client';
// Loads the studio on the client only: it needs window, localStorage and the URL hash, and its
// canvas and editor do nothing useful on the server.
import dynamic from 'next/dynamic';

const Studio = dynamic(() => import('./Studio'), { ssr: false, loading: () => <div className="boot muted">Loading the studio…</div> });

export function StudioLoader() {
  return <Studio />;
}
