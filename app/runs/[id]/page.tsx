// One run's page: its graph with the recorded numbers, its charts, samples and checkpoints.
import type { Metadata } from 'next';
import { RunLoader } from '../../../components/RunsLoader';

export const metadata: Metadata = { title: 'Run · Pretrain Studio' };

export default function Page() {
  return <RunLoader />;
}
