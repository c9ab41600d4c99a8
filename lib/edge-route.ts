// Orthogonal edge routing around blocks: an edge leaves its source port downwards, enters its
// target port from above, and in between runs on horizontal and vertical lines that keep clear of
// every block (its own two included), so no edge is drawn behind a block it does not connect.
// The lines it may use are the sides of the blocks pushed out by a clearance, plus the ports' own
// lines (an "orthogonal visibility grid"); the shortest path with few bends is found by A*.
// Pure: the canvas feeds it measured blocks and handle points, the tests estimated ones.

export interface Point {
  x: number;
  y: number;
}

/** A block's rectangle: top-left corner and size, in flow units. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One edge to route: from a source port (bottom of a block) to a target port (top of a block). */
export interface EdgeEnds {
  id: string;
  from: Point;
  to: Point;
}

/** Distance an edge keeps from the blocks it passes (px at zoom 1). */
export const ROUTE_CLEARANCE = 12;
/** How far a port's handle reaches out of its block (React Flow's edge ends are its outer side). */
export const HANDLE_REACH = 5.5;
/** What a bend costs, in px of length: a slightly longer path with fewer turns reads better. */
const BEND_COST = 40;
/** Length running inside a block's clearance (a narrow gap) counts this many times. */
const TIGHT_FACTOR = 4;
/** Length on a line another port's edge already runs on counts this much extra. */
const SHARED_FACTOR = 1.5;
const EPS = 0.5;

/**
 * Whether the axis-aligned segment a–b passes through the inside of `r` (touching its border does
 * not count). Used by the router and by the tests that check its output.
 * @example segmentCrossesRect({ x: 0, y: 5 }, { x: 20, y: 5 }, { x: 5, y: 0, width: 5, height: 10 }) // true
 */
export function segmentCrossesRect(a: Point, b: Point, r: Rect, eps = EPS): boolean {
  const [x0, x1] = a.x < b.x ? [a.x, b.x] : [b.x, a.x];
  const [y0, y1] = a.y < b.y ? [a.y, b.y] : [b.y, a.y];
  return x1 > r.x + eps && x0 < r.x + r.width - eps && y1 > r.y + eps && y0 < r.y + r.height - eps;
}

const inflate = (r: Rect, by: number): Rect => ({ x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by });

/** Sorted distinct values (rounded to 0.1 px, so near-equal lines merge). */
function lines(values: number[]): number[] {
  return [...new Set(values.map((v) => Math.round(v * 10) / 10))].sort((a, b) => a - b);
}

/**
 * How far an edge runs straight out of its port (down from a source, up into a target) before it
 * may turn: the clearance, or less where another block sits closer, so the turn stays in the gap.
 */
function stubLength(port: Point, direction: 1 | -1, blocks: readonly Rect[]): number {
  let room = ROUTE_CLEARANCE * 2;
  for (const r of blocks) {
    if (port.x <= r.x || port.x >= r.x + r.width) continue;
    // Measured to the other block's own handles, so two stubs facing each other never cross.
    const gap = (direction === 1 ? r.y - port.y : port.y - (r.y + r.height)) - HANDLE_REACH;
    if (gap > -EPS) room = Math.min(room, gap);
  }
  return Math.max(0, Math.min(ROUTE_CLEARANCE, room / 2));
}

/** Where the edge may first turn after leaving its source, and last turn before its target. */
function turnPoints(e: EdgeEnds, blocks: readonly Rect[]): [Point, Point] {
  return [
    { x: e.from.x, y: e.from.y + stubLength(e.from, 1, blocks) },
    { x: e.to.x, y: e.to.y - stubLength(e.to, -1, blocks) },
  ];
}

/** The grid every edge of one drawing is routed on, with each step's cost precomputed. */
class RouteGrid {
  readonly xs: number[];
  readonly ys: number[];
  /** Cost of the step from grid point (i, j) to (i + 1, j) / (i, j + 1); Infinity where blocked. */
  private readonly right: Float64Array;
  private readonly down: Float64Array;

  constructor(blocks: readonly Rect[], turns: readonly Point[]) {
    const c = ROUTE_CLEARANCE;
    this.xs = lines([...blocks.flatMap((r) => [r.x - c, r.x + r.width + c]), ...turns.map((p) => p.x)]);
    this.ys = lines([...blocks.flatMap((r) => [r.y - c, r.y + r.height + c]), ...turns.map((p) => p.y)]);
    const [nx, ny] = [this.xs.length, this.ys.length];
    this.right = new Float64Array(nx * ny).fill(Infinity);
    this.down = new Float64Array(nx * ny).fill(Infinity);
    const zones = blocks.map((r) => inflate(r, c - EPS));
    const cost = (a: Point, b: Point) => {
      if (blocks.some((r) => segmentCrossesRect(a, b, r))) return Infinity;
      const length = Math.abs(a.x - b.x) + Math.abs(a.y - b.y);
      return zones.some((z) => segmentCrossesRect(a, b, z)) ? length * TIGHT_FACTOR : length;
    };
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const here = { x: this.xs[i], y: this.ys[j] };
        if (i + 1 < nx) this.right[j * nx + i] = cost(here, { x: this.xs[i + 1], y: here.y });
        if (j + 1 < ny) this.down[j * nx + i] = cost(here, { x: here.x, y: this.ys[j + 1] });
      }
    }
  }

  /** Cost of one step from point index p in direction d (0 right, 1 left, 2 down, 3 up). */
  step(p: number, d: number): [next: number, cost: number] {
    const nx = this.xs.length;
    const [i, j] = [p % nx, Math.floor(p / nx)];
    if (d === 0) return i + 1 < nx ? [p + 1, this.right[p]] : [-1, Infinity];
    if (d === 1) return i > 0 ? [p - 1, this.right[p - 1]] : [-1, Infinity];
    if (d === 2) return j + 1 < this.ys.length ? [p + nx, this.down[p]] : [-1, Infinity];
    return j > 0 ? [p - nx, this.down[p - nx]] : [-1, Infinity];
  }

  index(pt: Point): number {
    const i = this.xs.indexOf(Math.round(pt.x * 10) / 10);
    const j = this.ys.indexOf(Math.round(pt.y * 10) / 10);
    return i < 0 || j < 0 ? -1 : j * this.xs.length + i;
  }

  point(p: number): Point {
    const nx = this.xs.length;
    return { x: this.xs[p % nx], y: this.ys[Math.floor(p / nx)] };
  }
}

/** A small binary min-heap of [priority, state]. */
class Heap {
  private items: [number, number][] = [];
  get size() {
    return this.items.length;
  }
  push(item: [number, number]) {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (a[parent][0] <= a[i][0]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }
  pop(): [number, number] {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < a.length && a[l][0] < a[m][0]) m = l;
        if (r < a.length && a[r][0] < a[m][0]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

const OPPOSITE = [1, 0, 3, 2];
const DOWN = 2;

/** Extra cost of a step (grid point, direction) that another edge's route already takes. */
type Crowding = (p: number, d: number, cost: number) => number;

/** A* over (grid point, heading) from `start` heading down to `goal`, arriving heading down if it can. */
function search(grid: RouteGrid, start: number, goal: number, crowding: Crowding): number[] | undefined {
  const goalPt = grid.point(goal);
  const h = (p: number) => {
    const pt = grid.point(p);
    return Math.abs(pt.x - goalPt.x) + Math.abs(pt.y - goalPt.y);
  };
  const states = grid.xs.length * grid.ys.length * 4;
  const best = new Float64Array(states).fill(Infinity);
  const from = new Int32Array(states).fill(-1);
  const heap = new Heap();
  const startState = start * 4 + DOWN;
  best[startState] = 0;
  heap.push([h(start), startState]);
  while (heap.size) {
    const [f, state] = heap.pop();
    const [p, d] = [Math.floor(state / 4), state % 4];
    const g = best[state];
    if (f > g + h(p) + EPS) continue; // a stale entry: this state was reached cheaper since
    if (p === goal) {
      if (d !== DOWN) {
        // Arriving sideways costs the bend into the port; settle it as a state of its own.
        const turned = goal * 4 + DOWN;
        if (best[turned] > g + BEND_COST) {
          best[turned] = g + BEND_COST;
          from[turned] = state;
          heap.push([g + BEND_COST, turned]);
        }
        continue;
      }
      const path: number[] = [];
      for (let s = state; s >= 0; s = from[s]) path.push(Math.floor(s / 4));
      return path.reverse();
    }
    for (let nd = 0; nd < 4; nd++) {
      if (nd === OPPOSITE[d]) continue;
      const [next, cost] = grid.step(p, nd);
      if (next < 0 || cost === Infinity) continue;
      const ng = g + cost + crowding(p, nd, cost) + (nd === d ? 0 : BEND_COST);
      const ns = next * 4 + nd;
      if (ng < best[ns]) {
        best[ns] = ng;
        from[ns] = state;
        heap.push([ng + h(next), ns]);
      }
    }
  }
  return undefined;
}

/** Records the step between neighbouring grid points a and b as taken by `port`'s edges. */
function markStep(taken: Map<number, string>, key: (p: number, d: number) => number, grid: RouteGrid, a: number, b: number, port: string) {
  if (a === b) return;
  const nx = grid.xs.length;
  const d = b === a + 1 ? 0 : b === a - 1 ? 1 : b === a + nx ? 2 : 3;
  if (!taken.has(key(a, d))) taken.set(key(a, d), port);
}

/** Drops repeated points and the middle of three points on one line. */
export function simplify(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    if (out.length && out.at(-1)!.x === p.x && out.at(-1)!.y === p.y) continue;
    if (out.length >= 2) {
      const [a, b] = [out.at(-2)!, out.at(-1)!];
      if ((a.x === b.x && b.x === p.x) || (a.y === b.y && b.y === p.y)) out.pop();
    }
    out.push(p);
  }
  return out;
}

/**
 * Routes every edge of a drawing around `blocks` (all of them, the edges' own included). An edge
 * with no way around (a port inside another block) is drawn straight, as a last resort.
 * @example routeEdges([a, b], [{ id: 'a->b', from: { x: 110, y: 100 }, to: { x: 110, y: 200 } }]).get('a->b')
 */
export function routeEdges(blocks: readonly Rect[], edges: readonly EdgeEnds[]): Map<string, Point[]> {
  const turns = edges.map((e) => turnPoints(e, blocks));
  const grid = new RouteGrid(blocks, turns.flat());
  const routes = new Map<string, Point[]>();
  // Steps taken so far, by the source port whose edges took them: edges from another port pay to
  // share a line, so they spread over the gap's lines instead of being drawn on top of each other.
  const taken = new Map<number, string>();
  const stepKey = (p: number, d: number) => {
    const [next] = grid.step(p, d);
    return Math.min(p, next) * 2 + (d < 2 ? 0 : 1);
  };
  for (const [k, e] of edges.entries()) {
    const [out, into] = turns[k];
    const [start, goal] = [grid.index(out), grid.index(into)];
    const port = `${e.from.x},${e.from.y}`;
    const crowding: Crowding = (p, d, cost) => {
      const owner = taken.get(stepKey(p, d));
      return owner !== undefined && owner !== port ? cost * SHARED_FACTOR : 0;
    };
    const path = start >= 0 && goal >= 0 ? search(grid, start, goal, crowding) : undefined;
    if (path) for (let i = 1; i < path.length; i++) markStep(taken, stepKey, grid, path[i - 1], path[i], port);
    routes.set(e.id, simplify(path ? [e.from, ...path.map((p) => grid.point(p)), e.to] : [e.from, e.to]));
  }
  return routes;
}

/**
 * An SVG path through `points` with the corners rounded (radius at most half the shorter leg).
 * @example roundedPath([{ x: 0, y: 0 }, { x: 0, y: 50 }, { x: 50, y: 50 }], 8) // 'M 0 0 L 0 42 Q 0 50 8 50 L 50 50'
 */
export function roundedPath(points: readonly Point[], radius = 8): string {
  if (!points.length) return '';
  const parts = [`M ${points[0].x} ${points[0].y}`];
  for (let i = 1; i < points.length - 1; i++) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const r = Math.min(radius, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const toward = (p: Point, q: Point, d: number) => {
      const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: p.x + ((q.x - p.x) / len) * d, y: p.y + ((q.y - p.y) / len) * d };
    };
    const [enter, leave] = [toward(b, a, r), toward(b, c, r)];
    parts.push(`L ${enter.x} ${enter.y}`, `Q ${b.x} ${b.y} ${leave.x} ${leave.y}`);
  }
  const last = points[points.length - 1];
  parts.push(`L ${last.x} ${last.y}`);
  return parts.join(' ');
}
