// The compare view: /compare?runs=a,b,c (rendered on the client, see CompareLoader).
import type { Metadata } from 'next';
import { CompareLoader } from '../../components/CompareLoader';

export const metadata: Metadata = { title: 'Compare runs · Pretrain Studio' };

export default function Page() {
  return <CompareLoader />;
}
