// For tests of the page side of browser runs in Node: the real worker host (engine/browser/host.ts)
// on the far end of a MessageChannel stands in for the Web Worker (same structured cloning and
// transfers), so lib/browser-executor.ts runs unchanged.
import '../../engine/node/tfjs'; // tfjs-core with its gradients, as Node sets it up (the Web Worker imports engine/browser/tfjs.ts)
import { BrowserRunHost } from '../../engine/browser/host';
import type { FromWorker, ToWorker } from '../../engine/browser/protocol';
import type { WorkerLike } from '../browser-executor';

/** A worker in this process: the real host on the far end of a MessageChannel. */
export function inProcessWorker(): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  const host = new BrowserRunHost((message, transfer) => port2.postMessage(message, transfer ?? []), '');
  port2.onmessage = (event: MessageEvent<ToWorker>) => host.handle(event.data);
  const worker: WorkerLike = {
    postMessage: (message, transfer) => port1.postMessage(message, transfer),
    onmessage: null,
    terminate() {
      port1.close();
      port2.close();
    },
  };
  port1.onmessage = (event: MessageEvent<FromWorker>) => worker.onmessage?.(event);
  return worker;
}
