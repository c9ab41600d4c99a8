// The studio's one store (zustand): the pipeline document is the source of truth; selection,
// measured sizes, diagnostics, live values and undo history sit beside it. It is built from one
// slice per concern (document, selection, canvas, UI) sharing a small kernel (kernel.ts).
// Components select the slices they need; every edit goes through a named action, so undo sees all.
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Pipeline } from '../document';
import { SEED_DOCUMENT } from '../templates';
import { canvasSlice } from './canvas-slice';
import { documentSlice } from './document-slice';
import { createKernel } from './kernel';
import { selectionSlice } from './selection-slice';
import type { StudioState } from './types';
import { uiSlice } from './ui-slice';

export type { LiveValues, Notice, RightPanel, StudioState, ViewRequest } from './types';
export { HISTORY_LIMIT, MERGE_WINDOW_MS } from './kernel';

/**
 * A store holding `doc`. The app uses the shared `studio`; tests make their own.
 * @example const store = createStudioStore(emptyDocument()); store.getState().addNode('clip', { x: 0, y: 0 });
 */
export function createStudioStore(initial: Pipeline = SEED_DOCUMENT, now: () => number = Date.now): StoreApi<StudioState> {
  return createStore<StudioState>()((set, get) => {
    const kernel = createKernel(set, get, now);
    return {
      ...documentSlice(set, get, kernel, initial),
      ...selectionSlice(set, get, kernel),
      ...canvasSlice(set, get, kernel),
      ...uiSlice(set, get, kernel),
    };
  });
}

/** The app's store. */
export const studio = createStudioStore();

/**
 * Reads a slice of the app's store; wrap object/array selectors in useShallow.
 * @example const doc = useStudio((s) => s.doc);
 */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(studio, selector);
}
