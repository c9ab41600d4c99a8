// The product mark at the left of every page's toolbar; away from the studio it links back to it.
import Link from 'next/link';

export function Brand({ linkHome = false }: { linkHome?: boolean }) {
  const mark = (
    <>
      <span className="logo" aria-hidden>
        ◆
      </span>{' '}
      <span className="brand-name">Pretrain Studio</span>
    </>
  );
  return linkHome ? (
    <Link href="/" className="brand" title="Back to the studio">
      {mark}
    </Link>
  ) : (
    <div className="brand">{mark}</div>
  );
}
