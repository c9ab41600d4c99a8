// The "?" popover: keyboard shortcuts and the few gestures worth knowing.
import { useStudio, studio } from '../lib/store';

const SHORTCUTS: [string, string][] = [
  ['Ctrl/⌘ Z', 'Undo'],
  ['Ctrl/⌘ Shift Z, Ctrl Y', 'Redo'],
  ['Delete, Backspace', 'Delete the selection'],
  ['Ctrl/⌘ C, Ctrl/⌘ V', 'Copy, paste blocks (with the connections between them)'],
  ['Ctrl/⌘ A', 'Select everything'],
  ['Ctrl/⌘ G', 'Group the selected blocks'],
  ['Ctrl/⌘ S', 'Save the pipeline as .json'],
  ['Shift + drag', 'Select with a box'],
  ['Ctrl/⌘ + click', 'Add to the selection'],
  ['Double-click', 'Edit a note, rename a group'],
  ['Esc', 'Clear the selection, close this'],
  ['?', 'Show this help'],
];

export function HelpPopover() {
  const open = useStudio((s) => s.helpOpen);
  if (!open) return null;
  return (
    <div className="popover help" role="dialog" aria-label="Keyboard shortcuts" data-testid="help">
      <header>
        <h2>Shortcuts</h2>
        <button type="button" className="close" aria-label="Close" onClick={() => studio.getState().setHelpOpen(false)}>
          ×
        </button>
      </header>
      <table>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <td>
                <kbd>{keys}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">
        Drag blocks from the palette; connect an output (bottom) to an input (top) of the same colour. Drop a .json file on the canvas to open it.
      </p>
    </div>
  );
}
