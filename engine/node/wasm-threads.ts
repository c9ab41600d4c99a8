// Multi-threaded tfjs-backend-wasm (XNNPACK thread pool) in Node, which tfjs 4.22 turns off there
// (tfjs issue #3830). Browser-safe: Node modules come from process.getBuiltinModule (Node >= 20.16),
// never from an import, so bundles do not see them; anywhere else this is a no-op.
//
// What stands in the way, and what this does about each (all before the backend initialises):
//   1. flags_wasm says "no threads" when IS_NODE: the WASM_HAS_MULTITHREAD_SUPPORT flag is set true.
//   2. The C side caps the pool at emscripten_num_logical_cores() / 2, i.e. os.cpus().length / 2
//      ("2 hyper-threads per core"), read once when the module starts: os.cpus is patched for the
//      duration of the init to report 2 * threads entries, then restored.
//   3. tfjs hands Emscripten its pthread worker and main script as Blob URLs, which Node's
//      worker_threads cannot load. During the init, Blob records the text of every string Blob and
//      URL.createObjectURL returns a marker for it; a global `Worker` (Emscripten uses the global
//      in Node) starts the marked worker from its source with { eval: true } and rewrites the
//      worker's "load" message so the main script arrives as text ('js:' + source). A short
//      postlude teaches the worker's importScripts that form and defines the CommonJS names
//      (require$$0.., commonjsGlobal) that rollup's node bundle of tfjs-backend-wasm expects.
// Relies on tfjs-backend-wasm 4.22's node bundle and Emscripten glue; wasm-threads.test.ts
// pins the behaviour (the pool really has N threads and matmuls still match).

/** Node's module loader for built-ins, where the platform has one. */
type BuiltinLoader = (id: string) => unknown;

function builtinLoader(): BuiltinLoader | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: BuiltinLoader } }).process;
  return proc?.versions?.node && typeof proc.getBuiltinModule === 'function' ? proc.getBuiltinModule.bind(proc) : undefined;
}

const WORKER_MARKER = 'pretrain-studio:tfjs-wasm-pthread-worker';
// Runs inside each pthread worker after tfjs's worker code: the names the threaded factory's
// source refers to in the node bundle, and importScripts for main-script text.
const WORKER_POSTLUDE = [
  ';var require$$0 = require("fs"), require$$1 = require("path"), require$$3 = require("perf_hooks"),',
  '  require$$4 = require("os"), commonjsGlobal = global;',
  '(function () {',
  '  var load = global.importScripts;',
  '  global.importScripts = function (f) {',
  '    if (typeof f === "string" && f.slice(0, 3) === "js:") { (0, eval)(f.slice(3)); return; }',
  '    return load(f);',
  '  };',
  '})();',
].join('\n');

/** A Blob that remembers its string parts (the worker and main-script sources tfjs builds). */
interface TextBlobLike extends Blob {
  readonly sourceText: string;
}

// Shared by every initialisation: the global Worker is installed once and reads these.
let TextBlob: (new (parts?: BlobPart[], options?: BlobPropertyBag) => TextBlobLike) | undefined;
let workerSource = '';

/**
 * Prepares the next initialisation of the wasm backend to run XNNPACK on `threads` threads (the
 * calling thread included). Call right before the wasm backend initialises and call `restore()`
 * once it has; `setFlag` is tf.env().set. Returns undefined (and changes nothing) outside Node,
 * on Node < 20.16, or for threads < 2.
 * @example
 *   const patch = enableWasmThreadsInNode(2, (k, v) => tf.env().set(k, v));
 *   try { await tf.setBackend('wasm'); } finally { patch?.restore(); } // getThreadsCount() === 2
 */
export function enableWasmThreadsInNode(threads: number, setFlag: (name: string, value: boolean) => void): { restore(): void } | undefined {
  const load = builtinLoader();
  if (!load || !(threads >= 2)) return undefined;
  const os = load('node:os') as { cpus(): unknown[] };
  const { Worker: NodeWorker } = load('node:worker_threads') as { Worker: new (src: string, opts?: object) => NodeWorkerLike };
  setFlag('WASM_HAS_MULTITHREAD_SUPPORT', true);

  // 2. the core count the C side divides by two
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };

  // 3. Blobs remember their text while tfjs builds them; the worker's becomes a marker URL
  const NativeBlob = globalThis.Blob;
  const nativeCreateObjectURL = URL.createObjectURL;
  if (!TextBlob) {
    TextBlob = class extends NativeBlob implements TextBlobLike {
      readonly sourceText: string;
      constructor(parts: BlobPart[] = [], options?: BlobPropertyBag) {
        super(parts, options);
        this.sourceText = parts.map((p) => (typeof p === 'string' ? p : '')).join('');
      }
    };
    const Text = TextBlob;
    class PthreadWorker extends NodeWorker {
      constructor(src: string, opts?: object) {
        if (src === WORKER_MARKER) super(workerSource + WORKER_POSTLUDE, { eval: true });
        else super(src, opts);
        this.unref(); // pool threads must not keep the process alive...
      }
      ref(): void {} // ...not even while running (Emscripten refs a worker when it starts a thread)
      postMessage(message: unknown, transfer?: unknown): void {
        const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
        if (m?.cmd === 'load' && m.urlOrBlob instanceof Text) message = { ...m, urlOrBlob: `js:${(m.urlOrBlob as TextBlobLike).sourceText}` };
        super.postMessage(message, transfer);
      }
    }
    // Emscripten assigns worker_threads' Worker to the global and then uses the global: keep ours.
    Object.defineProperty(globalThis, 'Worker', { get: () => PthreadWorker, set: () => {}, configurable: true });
  }
  const Text = TextBlob;
  globalThis.Blob = Text as unknown as typeof Blob;
  URL.createObjectURL = (obj: Blob) => {
    // The pthread worker script is a few KB; the main script (also a Blob) is never turned into a URL here.
    if (obj instanceof Text && obj.sourceText.includes('onmessage') && obj.sourceText.length < 50_000) {
      workerSource = obj.sourceText;
      return WORKER_MARKER;
    }
    return nativeCreateObjectURL(obj);
  };
  return {
    restore() {
      os.cpus = realCpus;
      globalThis.Blob = NativeBlob;
      URL.createObjectURL = nativeCreateObjectURL;
    },
  };
}

interface NodeWorkerLike {
  ref(): void;
  unref(): void;
  postMessage(message: unknown, transfer?: unknown): void;
}
