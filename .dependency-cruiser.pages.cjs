// What the studio's pages load before a run starts, checked by `npm run lint` (docs/architecture.md,
// "Layers"): no tfjs, no node-kind implementation and no GPT, however many imports away. It follows
// what loads at run time: static imports and import() alike (the page gets Studio through
// next/dynamic), but not imports the compiler erases (type-only ones), hence tsPreCompilationDeps
// off. The run worker is started with `new Worker(new URL(...))`, which is no import: tfjs comes in
// there, when a browser run starts.
const layers = require('./.dependency-cruiser.cjs');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pages-load-no-tfjs',
      comment: 'The canvas needs node definitions only; tfjs, the implementations and the GPT load in the run worker.',
      severity: 'error',
      from: { path: '^app/.*(page|layout)[.]tsx$' },
      to: { path: ['^node_modules/@tensorflow/', '^@tensorflow/', '^engine/runtime/kinds/', '^engine/model/gpt[.]ts$'], reachable: true },
    },
  ],
  options: { ...layers.options, tsPreCompilationDeps: false },
};
