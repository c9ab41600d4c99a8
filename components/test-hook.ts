// A small read-only window hook for the e2e tests: the exported document and the JSON editor's
// text, which the DOM does not show whole (Monaco renders only the visible lines).

export interface StudioTestHook {
  documentText?: () => string;
  editorText?: () => string;
}

declare global {
  interface Window {
    __studio?: StudioTestHook;
  }
}

export function registerTestHook(hook: StudioTestHook): void {
  window.__studio = { ...window.__studio, ...hook };
}
