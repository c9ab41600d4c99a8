// The top bar: New / Open / Save / Templates, undo and redo, notes and Auto-layout, More (group,
// export, share), the run controls, the runs page, help.
import { useReactFlow } from '@xyflow/react';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { documentToText, emptyDocument, fileNameFor } from '../lib/document';
import { noteFlowId } from '../lib/edits';
import { layoutPipeline, outgrew } from '../lib/layout';
import { estimateSizes } from '../lib/block-geometry';
import { freeSpot, type Size } from '../lib/flow';
import { encodeShare } from '../lib/share';
import { studio, useStudio } from '../lib/store';
import { SEED_DOCUMENT, TEMPLATES } from '../lib/templates';
import { Brand } from './Brand';
import { downloadText } from './files';
import { HelpPopover } from './HelpPopover';
import { exportTorchZip } from './run-actions';
import { RunControls } from './RunControls';
import { SweepButton } from './SweepButton';
import { cycleTheme, useTheme, type ThemeChoice } from './theme-mode';

/** Saves the current pipeline as `<name>.json`. */
export function saveDocument(): void {
  const { doc } = studio.getState();
  downloadText(fileNameFor(doc.meta.name), documentToText(doc));
}

/** A button with a drop-down list; closes on choice, outside click or Escape. */
function Menu({ label, testId, title, children }: { label: string; testId: string; title?: string; children: (close: () => void) => React.ReactNode }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('pointerdown', onDown);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('pointerdown', onDown);
      window.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div className="menu" ref={ref}>
      <button type="button" className="button" data-testid={testId} title={title} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        {label} <span className="caret">▾</span>
      </button>
      {open && (
        <div className="menu-list" role="menu">
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}

function MenuItem({ title, blurb, onSelect, testId, disabled }: { title: string; blurb?: string; onSelect: () => void; testId?: string; disabled?: boolean }) {
  return (
    <button type="button" role="menuitem" className="menu-item" data-testid={testId} disabled={disabled} onClick={onSelect}>
      <span>{title}</span>
      {blurb && <span className="muted small">{blurb}</span>}
    </button>
  );
}

/** Builds the share link and copies it; the popover that shows it (anchored under More). */
function useShareLink() {
  const [link, setLink] = useState<{ url: string; copied: boolean } | null>(null);
  const share = async () => {
    const url = `${location.origin}${location.pathname}${await encodeShare(studio.getState().doc)}`;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      // no clipboard permission: the link is shown to copy by hand
    }
    setLink({ url, copied });
  };
  return { link, share, close: () => setLink(null) };
}

function SharePopover({ link, close }: { link: { url: string; copied: boolean }; close: () => void }) {
  return (
    <div className="menu-list share-popover" role="dialog" aria-label="Share link">
      <p className="small">{link.copied ? 'Link copied. ' : ''}Anyone with this link opens this exact pipeline; it is not uploaded anywhere.</p>
      <input className="input" data-testid="share-url" readOnly value={link.url} onFocus={(e) => e.currentTarget.select()} />
      <div className="small muted">{link.url.length.toLocaleString()} characters</div>
      <button type="button" className="link small" onClick={close}>
        Close
      </button>
    </div>
  );
}

/**
 * The rarer actions (group, export, share), kept out of the bar so every control in it reads
 * whole at 1280 px; the share link opens under it.
 */
function MoreMenu({ canGroup }: { canGroup: boolean }) {
  const { link, share, close } = useShareLink();
  return (
    <div className="menu">
      <Menu label="More" testId="more" title="Group, export to PyTorch, share a link">
        {(closeMenu) => (
          <>
            <MenuItem
              testId="group"
              title="Group the selected blocks"
              blurb={canGroup ? 'A frame around them (Ctrl+G)' : 'Select blocks first (Shift-drag or Ctrl-click)'}
              disabled={!canGroup}
              onSelect={() => (closeMenu(), studio.getState().groupSelection())}
            />
            <MenuItem
              testId="export-torch"
              title="Export to PyTorch (.zip)"
              blurb="model.py + train.py + data; runs with python or torchrun"
              onSelect={() => (closeMenu(), void exportTorchZip())}
            />
            <MenuItem
              testId="share"
              title="Share a link"
              blurb="The whole pipeline in the link; nothing is uploaded"
              onSelect={() => (closeMenu(), void share())}
            />
          </>
        )}
      </Menu>
      {link && <SharePopover link={link} close={close} />}
    </div>
  );
}

const THEME_LABEL: Record<ThemeChoice, string> = { system: '◐', light: '☀', dark: '☾' };

/** System → light → dark: the canvas, charts and JSON editor follow. */
function ThemeToggle() {
  const { choice, theme } = useTheme();
  const next = choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'the system setting';
  return (
    <button
      type="button"
      className="button icon"
      data-testid="theme-toggle"
      data-theme-choice={choice}
      onClick={cycleTheme}
      title={`Theme: ${choice === 'system' ? `follows the system (${theme})` : choice}; click for ${next}`}
      aria-label="Theme"
    >
      {THEME_LABEL[choice]}
    </button>
  );
}

/** How long after an Auto-layout a block that outgrows its place gets the layout redone. */
const RELAYOUT_WINDOW_MS = 1000;

/** Lays the document out to suit the canvas (an "auto-layout" edit); returns the block sizes it used. */
function arrangeOnce(): Record<string, Size> {
  const pane = document.querySelector('.canvas')?.getBoundingClientRect();
  const { doc, sizes, arrange } = studio.getState();
  // A block added a moment ago may not be measured yet, or measured before it was drawn whole:
  // each block counts at least its estimated size.
  const known = Object.fromEntries(
    Object.entries(estimateSizes(doc)).map(([id, e]) => [
      id,
      { width: Math.max(e.width, sizes[id]?.width ?? 0), height: Math.max(e.height, sizes[id]?.height ?? 0) },
    ]),
  );
  arrange(layoutPipeline(doc, known, pane && pane.height > 0 ? pane.width / pane.height : 1.5), 'auto-layout');
  return known;
}

export function Toolbar() {
  const name = useStudio((s) => s.doc.meta.name);
  const canUndo = useStudio((s) => s.past.length > 0);
  const canRedo = useStudio((s) => s.future.length > 0);
  const hasBlocks = useStudio((s) => s.selection.nodes.length > 0);
  const helpOpen = useStudio((s) => s.helpOpen);
  const fileInput = useRef<HTMLInputElement>(null);
  const rf = useReactFlow();
  const load = (doc: typeof SEED_DOCUMENT, what: string) => {
    studio.getState().loadDocument(doc, { fit: true });
    studio.getState().notify(`${what}. Undo (Ctrl+Z) brings back the previous pipeline.`);
  };
  const addNote = () => {
    const pane = document.querySelector('.canvas')?.getBoundingClientRect();
    const at = rf.screenToFlowPosition(pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 0, y: 0 });
    const { doc, sizes } = studio.getState();
    const id = studio.getState().addNote(freeSpot(doc, sizes, { x: at.x - 120, y: at.y - 40 }, { width: 240, height: 80 }));
    studio.getState().reveal(noteFlowId(id));
  };

  const autoLayout = () => {
    let laidOutWith = arrangeOnce();
    // A block measured only after the layout (one added a moment ago, drawn with its "not
    // connected" lines that the size estimate leaves out) can outgrow the size it was laid out
    // with: for a second, lay out again when that happens, in the same undo step.
    const stop = studio.subscribe((s, before) => {
      if (s.sizes !== before.sizes && outgrew(laidOutWith, s.sizes)) laidOutWith = arrangeOnce();
    });
    window.setTimeout(stop, RELAYOUT_WINDOW_MS);
  };

  return (
    <header className="toolbar">
      <Brand />
      <div className="doc-name" title={name}>
        {name}
      </div>
      <nav className="actions">
        <Menu label="New" testId="new">
          {(close) => (
            <>
              <MenuItem
                testId="new-empty"
                title="Empty pipeline"
                blurb="Start from a blank canvas"
                onSelect={() => (close(), load(emptyDocument(), 'New empty pipeline'))}
              />
              <MenuItem
                testId="new-seed"
                title="Seed pipeline"
                blurb="The classic pretraining loop"
                onSelect={() => (close(), load(SEED_DOCUMENT, 'New pipeline from the seed'))}
              />
            </>
          )}
        </Menu>
        <button type="button" className="button" data-testid="open" onClick={() => fileInput.current?.click()}>
          Open…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          hidden
          data-testid="open-file"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = ''; // the same file can be opened again
            if (file) studio.getState().openText(await file.text(), file.name);
          }}
        />
        <button type="button" className="button" data-testid="save" onClick={saveDocument} title="Download the pipeline as .json (Ctrl+S)">
          Save
        </button>
        <Menu label="Templates" testId="templates">
          {(close) =>
            TEMPLATES.map((t) => (
              <MenuItem
                key={t.id}
                testId={`template-${t.id}`}
                title={t.title}
                blurb={t.blurb}
                onSelect={() => (close(), load(t.doc, `Loaded the template “${t.title}”`))}
              />
            ))
          }
        </Menu>
        <span className="sep" />
        <button
          type="button"
          className="button icon"
          data-testid="undo"
          disabled={!canUndo}
          onClick={() => studio.getState().undo()}
          title="Undo (Ctrl+Z)"
          aria-label="Undo"
        >
          ↶
        </button>
        <button
          type="button"
          className="button icon"
          data-testid="redo"
          disabled={!canRedo}
          onClick={() => studio.getState().redo()}
          title="Redo (Ctrl+Shift+Z)"
          aria-label="Redo"
        >
          ↷
        </button>
        <span className="sep" />
        <button type="button" className="button" data-testid="add-note" onClick={addNote} title="Add a markdown note">
          + Note
        </button>
        <button type="button" className="button" data-testid="auto-layout" onClick={autoLayout} title="Arrange the blocks to fit this canvas (one undo step)">
          Auto-layout
        </button>
        <MoreMenu canGroup={hasBlocks} />
        <span className="sep" />
        <RunControls />
        <SweepButton />
        <Link href="/datasets" className="button" data-testid="data-link" title="The dataset library: upload and tokenize your own data">
          Data
        </Link>
        <Link href="/runs" className="button" data-testid="runs-link" title="Every run on this server">
          Runs
        </Link>
      </nav>
      <ThemeToggle />
      <div className="help-anchor">
        <button
          type="button"
          className="button icon"
          data-testid="help-button"
          aria-expanded={helpOpen}
          onClick={() => studio.getState().setHelpOpen(!helpOpen)}
          title="Keyboard shortcuts (?)"
          aria-label="Help"
        >
          ?
        </button>
        <HelpPopover />
      </div>
    </header>
  );
}
