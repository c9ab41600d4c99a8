// Next.js config for the studio (app router, Turbopack).
// Type checking is `npm run typecheck`'s job (tsc over the whole repo), so the build skips it;
// Next reads a tsconfig of its own so that it never rewrites the repo's tsconfig.json.
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  devIndicators: false,
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: true, tsconfigPath: 'tsconfig.next.json' },
  turbopack: { root: fileURLToPath(new URL('.', import.meta.url)) },
  // Cross-origin isolation gives pages and their workers SharedArrayBuffer, which tfjs-backend-wasm
  // needs for its multi-threaded build (browser runs on WASM use several cores). Everything the
  // studio loads is same-origin, so require-corp blocks nothing it uses.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
        ],
      },
    ];
  },
};

export default nextConfig;
