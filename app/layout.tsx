// Root layout: global styles (React Flow's, uPlot's, then ours) and page metadata. No web fonts:
// the page makes no request outside its origin.
import '@xyflow/react/dist/style.css';
import 'uplot/dist/uPlot.min.css';
import './studio.css';
import './experiments.css';
import type { Metadata, Viewport } from 'next';
import { THEME_BOOT_SCRIPT } from '../components/theme-mode';

export const metadata: Metadata = {
  title: 'Pretrain Studio',
  description: 'A visual notebook for LLM pretraining: wire blocks into a training loop and run it.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    // data-theme is set by the boot script before React hydrates.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
