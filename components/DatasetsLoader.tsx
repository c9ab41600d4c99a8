'use client';
// Loads the Data page on the client only: it lives on the socket.
import dynamic from 'next/dynamic';

const DatasetsPage = dynamic(() => import('./DatasetsPage'), { ssr: false, loading: () => <div className="boot muted">Loading the library…</div> });

export function DatasetsLoader() {
  return <DatasetsPage />;
}
