// Whether blocks are drawn inside an opened model block (its subgraph), and which one: inner blocks
// read their problems from the model block's diagnostics, and the run's inside view of the model
// (components/InsideView.tsx) in place of run numbers of their own.
import { createContext } from 'react';
import type { InsideView } from '../lib/model-insides';

export interface ModelView {
  modelId: string;
  /** A run shown on the canvas: its latest inside view of this model (null until the first) and how often it comes (0: off). */
  insides?: { view: InsideView | null; every: number };
}

export const ModelViewContext = createContext<ModelView | null>(null);
