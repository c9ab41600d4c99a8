// Colours the UI adds on top of the engine's port colours: one accent per block category.
// A category the engine adds later gets a neutral accent until it is given one here.
import type { Category } from '../engine/nodes/define';

const CATEGORY_ACCENTS: Partial<Record<Category, string>> = {
  data: '#0284c7',
  model: '#16a34a',
  objective: '#dc2626',
  optimization: '#ea580c',
  outputs: '#7c3aed',
};

/** The accent of a category (block title stripe, minimap, palette). */
export function categoryAccent(category: string | undefined): string {
  return (category && CATEGORY_ACCENTS[category as Category]) || '#64748b';
}

/** Joins class names, skipping falsy ones. */
export function cls(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}
