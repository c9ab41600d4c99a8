// Whether blocks are drawn inside an opened model block (its subgraph), and which one: inner blocks
// read their problems from the model block's diagnostics and show no run numbers of their own.
import { createContext } from 'react';

export const ModelViewContext = createContext<{ modelId: string } | null>(null);
