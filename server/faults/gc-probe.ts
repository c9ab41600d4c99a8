// Loaded into the server under test (node --expose-gc --import this file): on SIGUSR2 it collects
// garbage and prints the memory in use as one line, so the load driver can tell memory the server
// still holds (a leak) from V8's and malloc's high-water mark, which RSS alone cannot.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  console.log(`memory ${JSON.stringify({ heapUsed, rss, external, arrayBuffers, collected: !!gc })}`);
});
