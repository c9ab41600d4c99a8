// The browser executor: a Web Worker in a browser tab trains the run; the server starts nothing
// and records what the tab posts (../browser-recording.ts). Its pause, resume and stop are the
// tab's; once stopped or interrupted, the run continues on the server.
import { executorDefinition } from '../../../engine/executors';
import { BrowserBackendPreference } from '../browser-batch';
import type { ServerExecutor } from './executor';

export const browserExecutor: ServerExecutor = {
  ...executorDefinition('browser'),
  request: {
    backend: BrowserBackendPreference,
    resume: false,
    refusal: { resume: (takers) => `is for ${takers} (a browser run is recorded as its tab trains it)` },
  },

  async accept(_plan, ask) {
    if (ask.resume) {
      return { error: 'a browser run cannot start from a checkpoint here', errors: [{ field: 'resume', code: 'resume', message: 'is for executors node and torch (the tab reads a checkpoint from files itself)' }] };
    }
    return { backend: ask.backend ?? 'auto' };
  },

  resumesOn: { executor: 'node', backend: 'wasm' },
};

export default browserExecutor;
