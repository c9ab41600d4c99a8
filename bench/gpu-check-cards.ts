// What `npm run gpu:check` needs to know about GPUs and its reference configs: the dense bf16
// tensor-core peak of known cards (for MFU), the loss-parity bounds, and the GPT-2-small-sized config.
// Peaks are the vendors' dense figures (no 2:4 sparsity), in TFLOP/s.
import type { BenchConfig } from './configs';

interface Card {
  pattern: RegExp; // against torch.cuda.get_device_name()
  name: string;
  bf16Tflops: number;
}

// Order matters: the first match wins, so the specific names come before the general ones.
const CARDS: Card[] = [
  { pattern: /GH200/i, name: 'GH200', bf16Tflops: 989 },
  { pattern: /H200/i, name: 'H200', bf16Tflops: 989 },
  { pattern: /H100.*PCIe/i, name: 'H100 PCIe', bf16Tflops: 756 },
  { pattern: /H100.*NVL/i, name: 'H100 NVL', bf16Tflops: 835 },
  { pattern: /H100|H800/i, name: 'H100 SXM', bf16Tflops: 989 },
  { pattern: /B200/i, name: 'B200', bf16Tflops: 2250 },
  { pattern: /A100|A800/i, name: 'A100', bf16Tflops: 312 },
  { pattern: /L40S/i, name: 'L40S', bf16Tflops: 362 },
  { pattern: /L40\b/i, name: 'L40', bf16Tflops: 181 },
  { pattern: /\bL4\b/i, name: 'L4', bf16Tflops: 121 },
  { pattern: /A10G/i, name: 'A10G', bf16Tflops: 70 },
  { pattern: /\bA10\b/i, name: 'A10', bf16Tflops: 125 },
  { pattern: /RTX 6000 Ada/i, name: 'RTX 6000 Ada', bf16Tflops: 364 },
];

/**
 * The dense bf16 peak of a card by the name CUDA reports, or undefined for a card not in the table.
 * @example
 *   bf16PeakOf('NVIDIA H100 80GB HBM3'); // { name: 'H100 SXM', bf16Tflops: 989 }
 */
export function bf16PeakOf(deviceName: string): { name: string; bf16Tflops: number } | undefined {
  const card = CARDS.find((c) => c.pattern.test(deviceName));
  return card && { name: card.name, bf16Tflops: card.bf16Tflops };
}

/**
 * Largest relative loss difference allowed against the float32 CPU run over the parity steps.
 * float32 on CUDA differs from the CPU only in summation order (TF32 is off for matmuls by
 * default in PyTorch); bf16 autocast rounds every matmul input to 8 significant bits (2^-9 ≈
 * 2e-3 relative each), and 20 optimizer steps carry those differences into the weights.
 */
export const PARITY_BOUNDS = { float32: 1e-3, bfloat16: 2e-2 } as const;

/** DDP over N GPUs against one GPU, float32: only the all-reduce's summation order differs. */
export const DDP_BOUND = 1e-4;

/** G: GPT-2 small's size (124M with its learned positions; here RoPE, tied, no biases: 124M), on the GPU only. */
export const CONFIG_G: BenchConfig = {
  name: 'G',
  description: 'V50257 d768 L12 H12 T1024 B8 ff3072 GELU LayerNorm tied (GPT-2 small size)',
  model: {
    vocabSize: 50257,
    contextLength: 1024,
    dModel: 768,
    nLayers: 12,
    nHeads: 12,
    dFF: 3072,
    ropeTheta: 10000,
    norm: 'layernorm',
    ffn: 'gelu',
    tieEmbeddings: true,
  },
  batch: 8,
  steps: { fast: 20, slow: 5 },
  warmup: 3,
};
