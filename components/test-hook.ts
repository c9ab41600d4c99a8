// A small window hook for the e2e tests: the exported document and the JSON editor's text, which
// the DOM does not show whole (Monaco renders only the visible lines); the attached run's steps;
// a way to drop the socket connection.

export interface StudioTestHook {
  documentText?: () => string;
  editorText?: () => string;
  /** Steps of the attached run's loss curve, as held (to check: no gap, no duplicate). */
  runSteps?: () => number[];
  /** Drops the socket.io connection as a network failure would. */
  dropConnection?: () => void;
}

declare global {
  interface Window {
    __studio?: StudioTestHook;
  }
}

export function registerTestHook(hook: StudioTestHook): void {
  window.__studio = { ...window.__studio, ...hook };
}
