// How the run manager says no: to a submission (SubmitRefusal, its problems addressed like the
// compiler's diagnostics, nothing created) and to an action on a run (RunActionError, which carries
// the HTTP status of the reply).

/** A user error in a submission, addressed like the compiler's diagnostics. */
export interface SubmitError {
  nodeId?: string;
  edgeId?: string;
  field?: string;
  /** A problem inside the model block: the inner node (field is `<innerId>.<param>`). */
  innerNodeId?: string;
  code?: string;
  message: string;
}

/** Why a submission was refused: a summary, and the problems addressed to nodes or fields. */
export interface SubmitRefusal {
  error: string;
  errors: SubmitError[];
  /** Facts the reply carries beside `errors` (a memory refusal's estimate and budget). */
  details?: Record<string, unknown>;
}

/**
 * Why an action on a run was refused: 400 (what was sent is wrong), 404 (no such run), 409 (not
 * in a state that allows it) or 504 (the run did not answer in time); `details` go into the reply
 * beside `error`.
 */
export class RunActionError extends Error {
  constructor(readonly status: 400 | 404 | 409 | 504, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}
