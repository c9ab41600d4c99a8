// The runs page: every run on the server (rendered on the client, see RunsLoader).
import type { Metadata } from 'next';
import { RunsLoader } from '../../components/RunsLoader';

export const metadata: Metadata = { title: 'Runs · Pretrain Studio' };

export default function Page() {
  return <RunsLoader />;
}
