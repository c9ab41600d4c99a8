// The Data page: the server's dataset library (rendered on the client: it lives on the socket).
import type { Metadata } from 'next';
import { DatasetsLoader } from '../../components/DatasetsLoader';

export const metadata: Metadata = { title: 'Data · Pretrain Studio' };

export default function Page() {
  return <DatasetsLoader />;
}
