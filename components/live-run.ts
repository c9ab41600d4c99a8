// Which run the blocks on a canvas show live values of: the studio's attached run, or the run a
// run page shows. A context rather than a prop, because React Flow renders the blocks.
import { createContext } from 'react';

export interface LiveRun {
  runId: string | null;
  /** Whether blocks also show the document's problems (the editor) or only the run's (a run page). */
  editing: boolean;
}

export const LiveRunContext = createContext<LiveRun>({ runId: null, editing: true });
