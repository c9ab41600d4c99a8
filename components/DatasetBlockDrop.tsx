// Drop a file on a dataset block: it is uploaded to the server's dataset library (tokenizer
// chosen by the block: byte unless it says otherwise), the block switches to source 'library'
// with the new dataset, and is selected, so the inspector shows the tokenize progress.
import { useEffect } from 'react';
import { formatOf, uploadDataset } from '../lib/datasets-client';
import { studio } from '../lib/store';

/** The dataset block under a drag event's target, if any. */
function datasetBlockAt(target: EventTarget | null): string | undefined {
  const id = (target as Element | null)?.closest?.('[data-node-id]')?.getAttribute('data-node-id');
  return id && studio.getState().doc.nodes.find((n) => n.id === id)?.type === 'dataset' ? id : undefined;
}

async function uploadInto(nodeId: string, file: File): Promise<void> {
  const node = studio.getState().doc.nodes.find((n) => n.id === nodeId)!;
  const tokenizer = ((node.params as { tokenizer?: string }).tokenizer ?? 'byte') as 'byte' | 'bpe' | 'gpt2';
  const vocabSize = (node.params as { vocab_size?: number }).vocab_size ?? 1024;
  studio.getState().notify(`Uploading ${file.name} to the dataset library…`);
  try {
    const id = await uploadDataset(file, {
      name: file.name.replace(/\.[^.]+$/, '') || file.name,
      tokenizer,
      format: formatOf(file.name),
      ...(tokenizer === 'bpe' ? { vocabSize } : {}),
    });
    const { setParam, select } = studio.getState();
    setParam(nodeId, 'source', 'library');
    setParam(nodeId, 'dataset', id);
    select({ nodes: [nodeId], edges: [] });
  } catch (e) {
    studio.getState().notify(`${file.name}: ${(e as Error).message}`, 'error');
  }
}

export function DatasetBlockDrop() {
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files') && datasetBlockAt(e.target)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const nodeId = datasetBlockAt(e.target);
      const file = e.dataTransfer?.files[0];
      if (!nodeId || !file) return;
      e.preventDefault();
      e.stopPropagation();
      void uploadInto(nodeId, file);
    };
    document.addEventListener('dragover', over, true);
    document.addEventListener('drop', drop, true);
    return () => {
      document.removeEventListener('dragover', over, true);
      document.removeEventListener('drop', drop, true);
    };
  }, []);
  return null;
}
