// Markdown for notes and descriptions. react-markdown builds React elements from the syntax tree
// and, with skipHtml, drops raw HTML: a <script> or onerror= in a shared pipeline never runs.
import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  // Links leave the studio in a new tab; react-markdown's default urlTransform already drops javascript: URLs.
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ alt }) => <span className="md-img">[image{alt ? `: ${alt}` : ''}]</span>, // no requests to other origins
};

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
