// The browser executor's Web Worker entry: hands the page's messages to a BrowserRunHost (host.ts)
// and posts its answers back. All tfjs work happens in this worker, so the page never freezes.
// Created by lib/browser-executor.ts as a module worker, one per run.
import './tfjs'; // tfjs-core with its gradients, before any engine code uses it
import { BrowserRunHost } from './host';
import type { ToWorker } from './protocol';

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const host = new BrowserRunHost((message, transfer) => scope.postMessage(message, transfer ?? []));
scope.onmessage = (event) => host.handle(event.data);
