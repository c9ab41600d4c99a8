// Token ids drawn as text with their boundaries visible: alternating shades, the id on hover.
// Used by the dataset preview and the batch preview.
import { memo } from 'react';

/** A token's text made visible: newlines and tabs as symbols, so empty-looking tokens still show. */
const visible = (text: string) => text.replace(/\n/g, '↵\n').replace(/\t/g, '⇥');

export const TokenStrip = memo(function TokenStrip({ ids, tokens, testId }: { ids: number[]; tokens: string[] | null; testId?: string }) {
  return (
    <div className="token-strip" data-testid={testId}>
      {ids.map((id, i) => (
        <span key={i} className={i % 2 ? 'tok tok-b' : 'tok tok-a'} title={`id ${id}`} data-id={id}>
          {tokens ? visible(tokens[i]) : `#${id} `}
        </span>
      ))}
    </div>
  );
});
