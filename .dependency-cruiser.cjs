// The layers' import rules, checked by `npm run lint` (docs/architecture.md, "Layers").
// Tests and test helpers run in Node and may import across layers.
const TESTS = '(\\.test\\.ts$|\\.e2e\\.ts$|/test-support\\.ts$|^engine/testing/|^lib/testing/)';
const ENGINE_CORE = '^engine/(?!node/)';
const UI = '^(components|lib)/|^app/.*\\.tsx$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-core-no-node',
      comment: 'engine/ runs in workers, tests and the browser alike; Node modules belong in engine/node/ (the adapter folder).',
      severity: 'error',
      from: { path: ENGINE_CORE, pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-core-not-into-adapters',
      comment: 'Node adapters plug into the engine (setBackendHost, RuntimeIO); the engine core never imports them.',
      severity: 'error',
      from: { path: ENGINE_CORE, pathNot: TESTS },
      to: { path: '^engine/node/' },
    },
    {
      name: 'engine-imports-no-layer-above',
      comment: 'Imports point one way: server, lib, cli, components and app import the engine, never the reverse.',
      severity: 'error',
      from: { path: '^engine/', pathNot: TESTS },
      to: { path: '^(server|lib|cli|components|app|scripts|bench|e2e)/' },
    },
    {
      name: 'engine-no-import-loops',
      comment: 'A loop of runtime imports (type-only imports load nothing) makes load order matter; split the shared part out.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'ui-no-node',
      comment: 'The studio runs in the browser: no Node modules, no server code, no Node adapters.',
      severity: 'error',
      from: { path: UI, pathNot: TESTS },
      to: { path: '^(server|cli)/|^engine/node/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'ui-no-node-builtins',
      severity: 'error',
      from: { path: UI, pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'ui-definitions-only',
      comment: 'The canvas reads node definitions; implementations (tfjs) load in the run worker only.',
      severity: 'error',
      from: { path: UI, pathNot: TESTS },
      // The model's config and parameter list are plain data (no tfjs): the page counts parameters with them.
      // The optimizer kinds' definitions (engine/optim/kinds/) are too; their updates are not.
      to: {
        path: '^engine/(runtime/kinds|model|optim|tf)/',
        pathNot: '^engine/model/(config|param-specs)\\.ts$|^engine/optim/kinds/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'definitions-no-tfjs',
      comment: 'Node and optimizer-kind definitions are what the canvas loads: no tfjs, no implementation behind them.',
      severity: 'error',
      from: { path: '^engine/(nodes|optim/kinds)/', pathNot: TESTS },
      to: { path: '@tensorflow|^engine/(runtime/kinds|optim/updates|optim/optimizers|tf)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'server-no-ui',
      severity: 'error',
      from: { path: '^(server|cli)/', pathNot: TESTS },
      to: { path: '^(components|app)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] },
    exclude: { path: '^(node_modules|\\.next)/' },
  },
};
