// How an optimizer kind updates one tfjs param (its definition, without tfjs: ../kinds/<kind>.ts).
// engine/optim/optimizers.ts owns the state and the loop over params and calls these inside tf.tidy.
import type * as tf from '@tensorflow/tfjs-core';
import type { OptimizerParams } from '../../nodes/optimizer';
import type { ParamInfo } from '../kinds/define';

/** The node's settings as the updates read them (adagrad's lr_decay is an engine-only extra). */
export type Settings = OptimizerParams & { lr_decay?: number };

/** A param's state tensors by slot name (../kinds/<kind>.ts `slots`). */
export type Slots = Record<string, tf.Variable>;

/** Values one param update needs besides the tensors. */
export interface Hyper {
  lr: number; // learning rate of this step (the schedule's, else the node's lr)
  wd: number; // weight decay of this param (0 where the kind's rule exempts it)
  t: number; // this param's step count, 1 on its first update (torch's state['step'] after += 1)
  s: Settings;
  param: ParamInfo;
}

/** Throws `optimizer <kind>: <field> <why>`. */
export type Fail = (field: string, why: string) => never;

export interface OptimizerUpdate {
  /** One update of `p` from gradient `g` (float32); assigns p and the slots; runs inside tf.tidy. */
  update: (p: tf.Variable, g: tf.Tensor, slots: Slots, h: Hyper) => void;
  /** The value a fresh slot starts at (default 0). */
  initialSlot?: (s: Settings) => number;
  /** Rejects settings torch would reject (or silently misuse); the shared ones are checked already. */
  check?: (s: Settings, fail: Fail) => void;
}
