'use client';
// Loads the compare view on the client only (it lives on the socket and the URL's run list).
import dynamic from 'next/dynamic';
import { Suspense } from 'react';

const loading = () => <div className="boot muted">Loading the runs…</div>;
const ComparePage = dynamic(() => import('./ComparePage'), { ssr: false, loading });

export function CompareLoader() {
  return (
    <Suspense fallback={loading()}>
      <ComparePage />
    </Suspense>
  );
}
