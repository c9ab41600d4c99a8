// The browser executor: a Web Worker in a browser tab trains the run; the server starts nothing
// and records what the tab posts (../browser-recording.ts). Its pause, resume and stop are the
// tab's; once stopped or interrupted, the run continues on the server. A fork (`resume`) is
// checked and its checkpoint copied into the run's folder as for any executor; the tab fetches
// it from there and starts its worker from it.
import { executorDefinition } from '../../../engine/executors';
import { BrowserBackendPreference } from '../browser-batch';
import type { ServerExecutor } from './executor';

export const browserExecutor: ServerExecutor = {
  ...executorDefinition('browser'),
  request: { backend: BrowserBackendPreference, resume: true },

  async accept(_plan, ask) {
    return { backend: ask.backend ?? 'auto' };
  },

  resumesOn: { executor: 'node', backend: 'wasm' },
};

export default browserExecutor;
