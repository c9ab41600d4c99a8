// Auto-layout: places a pipeline's blocks with dagre (layered, edges pointing down, as the ports
// sit on top and bottom of each block), then folds the layers into side-by-side bands until the
// drawing is about as wide as the canvas is, so a long loop reads on a wide screen instead of as
// one tall column. Notes keep their places; group frames follow their blocks.
import dagre from '@dagrejs/dagre';
import type { Pipeline, XY } from './document';
import { DEFAULT_BLOCK_SIZE, type Size } from './flow';

/** Gaps between blocks in a layer, between layers, and between bands (flow units, px at zoom 1). */
export const LAYOUT_GAPS = { block: 30, layer: 36, band: 60 };

interface Placed {
  id: string;
  x: number; // left
  y: number; // top
  width: number;
  height: number;
}

/** dagre's layers (top to bottom), each with its blocks' sizes and dagre's x order. */
function layers(doc: Pipeline, sizes: Readonly<Record<string, Size>>): Placed[][] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: LAYOUT_GAPS.block, ranksep: LAYOUT_GAPS.layer });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of doc.nodes) g.setNode(n.id, { ...(sizes[n.id] ?? DEFAULT_BLOCK_SIZE) });
  for (const e of doc.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const byCentreY = new Map<number, Placed[]>();
  for (const id of g.nodes()) {
    const { x, y, width, height } = g.node(id);
    const row = byCentreY.get(Math.round(y)) ?? [];
    row.push({ id, x: x - width / 2, y: y - height / 2, width, height });
    byCentreY.set(Math.round(y), row);
  }
  return [...byCentreY.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}

/** The layers split into `count` consecutive bands of about equal height. */
function splitBands(rows: Placed[][], count: number): Placed[][][] {
  const heights = rows.map((row) => Math.max(...row.map((p) => p.height)) + LAYOUT_GAPS.layer);
  const target = heights.reduce((a, b) => a + b, 0) / count;
  const bands: Placed[][][] = [[]];
  let filled = 0;
  rows.forEach((row, i) => {
    if (filled >= target * 0.92 && bands.length < count) {
      bands.push([]);
      filled = 0;
    }
    bands[bands.length - 1].push(row);
    filled += heights[i];
  });
  return bands;
}

/**
 * Bands placed left to right, each starting at the top; in a band, each layer's blocks sit side
 * by side in dagre's order, centred (dagre's own x spreads layers apart for long edges' bends).
 */
function placeBands(bands: Placed[][][]): { boxes: Placed[]; width: number; height: number } {
  const boxes: Placed[] = [];
  let left = 0;
  let height = 0;
  for (const band of bands) {
    const widthOf = (row: Placed[]) => row.reduce((w, p) => w + p.width, 0) + LAYOUT_GAPS.block * (row.length - 1);
    const bandWidth = Math.max(...band.map(widthOf));
    let top = 0;
    for (const row of band) {
      let x = left + (bandWidth - widthOf(row)) / 2;
      for (const p of [...row].sort((a, b) => a.x - b.x)) {
        boxes.push({ ...p, x, y: top });
        x += p.width + LAYOUT_GAPS.block;
      }
      top += Math.max(...row.map((p) => p.height)) + LAYOUT_GAPS.layer;
    }
    height = Math.max(height, top - LAYOUT_GAPS.layer);
    left += bandWidth + LAYOUT_GAPS.band;
  }
  return { boxes, width: left - LAYOUT_GAPS.band, height };
}

/**
 * New top-left corners for the document's blocks (by id), laid out to suit a canvas of
 * `aspect` = width / height. An empty document gives an empty map.
 * @example studio.getState().arrange(layoutPipeline(doc, sizes, 868 / 592));
 */
export function layoutPipeline(doc: Pipeline, sizes: Readonly<Record<string, Size>> = {}, aspect = 1.5): Map<string, XY> {
  if (!doc.nodes.length) return new Map();
  const rows = layers(doc, sizes);
  // The fold whose drawing is closest in shape to the canvas (compared as a ratio, both ways).
  let best: ReturnType<typeof placeBands> | undefined;
  let bestMiss = Infinity;
  for (let count = 1; count <= rows.length; count++) {
    const placed = placeBands(splitBands(rows, count));
    const miss = Math.abs(Math.log(placed.width / Math.max(1, placed.height) / aspect));
    if (miss < bestMiss) [best, bestMiss] = [placed, miss];
  }
  return new Map(best!.boxes.map((p) => [p.id, { x: Math.round(p.x), y: Math.round(p.y) }]));
}

/**
 * Whether some block's measured size now exceeds (by more than a pixel) the size it was laid out with.
 * @example outgrew({ a: { width: 200, height: 80 } }, { a: { width: 200, height: 104 } }) // true
 */
export function outgrew(laidOutWith: Readonly<Record<string, Size>>, measured: Readonly<Record<string, Size>>): boolean {
  return Object.entries(laidOutWith).some(([id, size]) => {
    const now = measured[id];
    return !!now && (now.width > size.width + 1 || now.height > size.height + 1);
  });
}
