'use client';
// Light or dark: follows the system setting unless the user picks one (remembered in
// localStorage). The choice is applied as <html data-theme>, which the stylesheet's variables,
// React Flow's colorMode, the charts and Monaco follow.
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

/** localStorage key of the theme choice. */
export const THEME_KEY = 'pretrain-studio:theme';
const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}

const systemDark = () => typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;

/** The theme a choice gives on this system. */
export function resolveTheme(choice: ThemeChoice, prefersDark: boolean): Theme {
  return choice === 'system' ? (prefersDark ? 'dark' : 'light') : choice;
}

function apply(): void {
  document.documentElement.dataset.theme = resolveTheme(readChoice(), systemDark());
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  if (!listeners.size && typeof matchMedia !== 'undefined') matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (!listeners.size && typeof matchMedia !== 'undefined') matchMedia('(prefers-color-scheme: dark)').removeEventListener('change', apply);
  };
}

/** Moves to the next choice (system → light → dark → system) and applies it. */
export function cycleTheme(): void {
  const next = NEXT[readChoice()];
  try {
    if (next === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, next);
  } catch {
    // storage disabled: the choice lasts until the page goes
  }
  apply();
}

/**
 * The current choice and the theme it resolves to, for a component (re-renders on change).
 * @example const { theme } = useTheme(); <ReactFlow colorMode={theme} />
 */
export function useTheme(): { choice: ThemeChoice; theme: Theme } {
  const key = useSyncExternalStore(
    subscribe,
    () => `${readChoice()}:${resolveTheme(readChoice(), systemDark())}`,
    () => 'system:light',
  );
  const [choice, theme] = key.split(':') as [ThemeChoice, Theme];
  return { choice, theme };
}

/** Inline in <head> (no request): sets data-theme before the first paint, so a dark page never flashes light. */
export const THEME_BOOT_SCRIPT = `try{var c=localStorage.getItem('${THEME_KEY}');var d=c==='dark'||(c!=='light'&&matchMedia('(prefers-color-scheme: dark)').matches);document.documentElement.dataset.theme=d?'dark':'light'}catch(e){}`;
