'use client';
// Loads the runs pages on the client only: they live on the socket and on localStorage.
import dynamic from 'next/dynamic';
import { useParams } from 'next/navigation';

const loading = () => <div className="boot muted">Loading runs…</div>;
const RunsPage = dynamic(() => import('./RunsPage'), { ssr: false, loading });
const RunPage = dynamic(() => import('./RunPage'), { ssr: false, loading });

export function RunsLoader() {
  return <RunsPage />;
}

export function RunLoader() {
  const { id } = useParams<{ id: string }>();
  return <RunPage runId={id} />;
}
