'use client';
import dynamic from 'next/dynamic';
const Proto = dynamic(() => import('./Proto'), { ssr: false, loading: () => <p>Loading…</p> });
export function StudioLoader() { return <Proto />; }
