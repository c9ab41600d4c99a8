// The pipeline document as the studio reads and writes it: parsing (with migration), a canonical
// key order for export, ids for new nodes and edges. Pure functions; the store builds on them.
import { registry } from '../engine/nodes';
import { migratePipeline, MIGRATIONS, type Migration } from '../engine/pipeline/migrate';
import { Pipeline, PIPELINE_VERSION, type PipelineEdge, type PipelineNode } from '../engine/pipeline/schema';

export type { Pipeline, PipelineEdge, PipelineNode };
export type PipelineNote = Pipeline['notes'][number];
export type PipelineGroup = Pipeline['groups'][number];
export type XY = { x: number; y: number };

/** Where a document problem is, as a JSON path (`['nodes', 3, 'params', 'lr']`), and what it is. */
export interface DocumentIssue {
  path: (string | number)[];
  message: string;
}

export type LoadResult = { ok: true; doc: Pipeline; from: number } | { ok: false; message: string; issues: DocumentIssue[] };

/** Longest id the schema accepts (engine/pipeline/schema.ts). */
const MAX_ID = 64;

/**
 * A blank pipeline.
 * @example emptyDocument().nodes // []
 */
export function emptyDocument(name = 'Untitled pipeline'): Pipeline {
  return { version: PIPELINE_VERSION, meta: { name, description: '' }, training: { steps: 1000, seed: 1337 }, nodes: [], edges: [], notes: [], groups: [] };
}

/** Param keys in the order the kind's schema declares them; unknown keys keep their order, last. */
function orderedParams(type: string, params: Record<string, unknown>): Record<string, unknown> {
  const def = registry.get(type);
  const known = def ? Object.keys(def.params.shape) : [];
  const out: Record<string, unknown> = {};
  for (const key of known) if (key in params) out[key] = params[key];
  for (const key of Object.keys(params)) if (!(key in out)) out[key] = params[key];
  return out;
}

/**
 * The same document with every object's keys in one fixed order, so that export → import →
 * export gives byte-identical JSON whatever order the keys were written or edited in.
 */
export function canonicalDocument(doc: Pipeline): Pipeline {
  return {
    version: doc.version,
    meta: { name: doc.meta.name, description: doc.meta.description },
    training: { steps: doc.training.steps, seed: doc.training.seed },
    nodes: doc.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      ...(n.version !== undefined ? { version: n.version } : {}),
      params: orderedParams(n.type, n.params),
      position: { x: n.position.x, y: n.position.y },
    })),
    edges: doc.edges.map((e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle, target: e.target, targetHandle: e.targetHandle })),
    notes: doc.notes.map((n) => ({
      id: n.id,
      text: n.text,
      position: { x: n.position.x, y: n.position.y },
      ...(n.width !== undefined ? { width: n.width } : {}),
      ...(n.height !== undefined ? { height: n.height } : {}),
    })),
    groups: doc.groups.map((g) => ({ id: g.id, title: g.title, nodeIds: [...g.nodeIds], ...(g.color !== undefined ? { color: g.color } : {}) })),
    ...(doc.sweep ? { sweep: structuredClone(doc.sweep) } : {}),
  };
}

/**
 * The text written by Save and shown in the JSON tab: canonical, two-space indented, newline at the end.
 * @example documentToText(emptyDocument()).startsWith('{\n  "version": 2,') // true
 */
export function documentToText(doc: Pipeline): string {
  return `${JSON.stringify(canonicalDocument(doc), null, 2)}\n`;
}

/** Upgrades node params saved by an older version of their kind (NodeDefinition.migrate). */
function upgradeNodes(doc: Pipeline): Pipeline {
  let changed = false;
  const nodes = doc.nodes.map((node) => {
    const def = registry.get(node.type);
    if (!def?.migrate || node.version === undefined || node.version >= def.version) return node;
    changed = true;
    return { ...node, version: def.version, params: def.migrate(node.params, node.version) };
  });
  return changed ? { ...doc, nodes } : doc;
}

/**
 * Reads a parsed JSON value as a pipeline: migrates older versions, validates the shape,
 * upgrades node params, fills the document's defaults. Node kinds and wiring are the compiler's job.
 * @example loadDocumentValue({ version: 1, nodes: [], edges: [] }).ok // true
 */
export function loadDocumentValue(raw: unknown, migrations: Record<number, Migration> = MIGRATIONS): LoadResult {
  const migrated = migratePipeline(raw, migrations);
  if (!migrated.ok) return { ok: false, message: migrated.message, issues: [{ path: ['version'], message: migrated.message }] };
  const parsed = Pipeline.safeParse(migrated.doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message }));
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    return { ok: false, message: `${first.path.join('.') || 'document'}: ${first.message}${more}`, issues };
  }
  return { ok: true, doc: canonicalDocument(upgradeNodes(parsed.data)), from: migrated.from };
}

/**
 * Parses pipeline JSON text (a file, the JSON tab, a share link).
 * @example parseDocumentText('{') // { ok: false, message: 'not valid JSON: ...' }
 */
export function parseDocumentText(text: string, migrations?: Record<number, Migration>): LoadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = `not valid JSON: ${(error as Error).message}`;
    return { ok: false, message, issues: [{ path: [], message }] };
  }
  return loadDocumentValue(raw, migrations);
}

/**
 * A new id from `base` that is not in `taken`: `base`, then `base#2`, `base#3`...
 * @example uniqueId('model', new Set(['model'])) // 'model#2'
 */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/#\d+$/, '').slice(0, MAX_ID - 6) || 'node';
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) if (!taken.has(`${stem}#${i}`)) return `${stem}#${i}`;
}

/** Every id used by nodes, notes, groups and edges (one namespace keeps messages unambiguous). */
export function takenIds(doc: Pipeline): Set<string> {
  return new Set([...doc.nodes, ...doc.notes, ...doc.groups, ...doc.edges].map((x) => x.id));
}

/**
 * The id of a new edge, readable like the seed's (`model.logits->loss.logits`), shortened when too long.
 * @example edgeId({ source: 'a', sourceHandle: 'x', target: 'b', targetHandle: 'y' }, new Set()) // 'a.x->b.y'
 */
export function edgeId(conn: Omit<PipelineEdge, 'id'>, taken: ReadonlySet<string>): string {
  const readable = `${conn.source}.${conn.sourceHandle}->${conn.target}.${conn.targetHandle}`;
  if (readable.length <= MAX_ID && !taken.has(readable)) return readable;
  for (let i = 1; ; i++) if (!taken.has(`e${i}`)) return `e${i}`;
}

/**
 * Every param of a kind at its default, in schema order (what a block dropped from the palette gets).
 * @example defaultParams('clip') // { max_norm: 1 }
 */
export function defaultParams(kind: string): Record<string, unknown> {
  const def = registry.get(kind);
  if (!def) return {};
  const parsed = def.params.safeParse({});
  return parsed.success ? { ...(parsed.data as Record<string, unknown>) } : {};
}

/**
 * A file name for a pipeline: its name in lower-case words joined by dashes.
 * @example fileNameFor('Seed: byte-level GPT') // 'seed-byte-level-gpt.json'
 */
export function fileNameFor(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${slug || 'pipeline'}.json`;
}
