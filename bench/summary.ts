// The ratios the speed targets are stated in, read off one bench run's rows and peaks: each engine
// GEMM peak against torch's under the same kernels, and each multi-threaded row against the same
// executor on one thread under the same kernels.

export interface SummaryRow {
  config: string;
  executor: string; // 'engine wasm [Haswell]', 'engine wasm 2t [SkylakeX]', 'torch 1t [SkylakeX]', ...
  kind: 'engine' | 'torch';
  kernels?: string;
  threads: number;
  status: string;
  tokensPerSec?: number;
}

/**
 * Lines of text, one per comparison.
 * @example
 *   ratioLines([], { 'engine wasm [Haswell]': { gflops: 104 }, 'torch 1t [Haswell]': { gflops: 108 } })
 *   // ['GEMM peak, engine ÷ torch 1t, Haswell kernels: 0.96 (104.0 / 108.0 GFLOP/s)']
 */
export function ratioLines(rows: SummaryRow[], peaks: Record<string, { gflops: number }>): string[] {
  const lines: string[] = [];
  for (const [label, peak] of Object.entries(peaks)) {
    const kernels = /^engine wasm \[(.+)\]$/.exec(label)?.[1];
    const torch = kernels ? peaks[`torch 1t [${kernels}]`] : undefined;
    if (kernels && torch) {
      lines.push(
        `GEMM peak, engine ÷ torch 1t, ${kernels} kernels: ${(peak.gflops / torch.gflops).toFixed(2)} (${peak.gflops.toFixed(1)} / ${torch.gflops.toFixed(1)} GFLOP/s)`,
      );
    }
  }
  const ok = rows.filter((r) => r.status === 'ok' && r.tokensPerSec);
  for (const r of ok.filter((x) => x.threads > 1)) {
    const single = ok.find(
      (x) => x.config === r.config && x.kind === r.kind && x.threads === 1 && x.kernels === r.kernels && sameExecutor(x.executor, r.executor),
    );
    if (!single) continue;
    lines.push(`${r.config}, ${r.executor} ÷ ${single.executor}: ${(r.tokensPerSec! / single.tokensPerSec!).toFixed(2)}`);
  }
  return lines;
}

/**
 * Whether two row labels name the same executor apart from its threads: 'engine wasm 2t [X]' and
 * 'engine wasm 2t, wasm threads [X]' are both 'engine wasm [X]' on more threads.
 */
function sameExecutor(a: string, b: string): boolean {
  const strip = (label: string) => label.replace(/ \d+t(, wasm threads)?/, '');
  return strip(a) === strip(b);
}
