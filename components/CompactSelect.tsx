// A select that takes only the room its current choice needs: a native select (keyboard, screen
// readers, the full names in its list) laid invisibly over a short label of the current choice.
// The toolbar uses it for the executor and the browser backend, so the bar reads whole at 1280 px.

export interface CompactOption<T extends string> {
  value: T;
  /** The whole name, shown in the list. */
  label: string;
  /** The name shown in the bar (default: the whole label). */
  short?: string;
}

export function CompactSelect<T extends string>(props: {
  value: T;
  options: readonly CompactOption<T>[];
  onChange: (value: T) => void;
  disabled?: boolean;
  title: string;
  ariaLabel: string;
  testId: string;
  className?: string;
}) {
  const { value, options, onChange, disabled = false, title, ariaLabel, testId, className = '' } = props;
  const current = options.find((o) => o.value === value);
  return (
    <span className={`compact-select input ${className}${disabled ? ' is-disabled' : ''}`} title={`${title}: ${current?.label ?? value}`}>
      <span className="compact-select-label" data-testid={`${testId}-label`} aria-hidden>
        {current?.short ?? current?.label ?? value} <span className="caret">▾</span>
      </span>
      <select data-testid={testId} aria-label={ariaLabel} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </span>
  );
}
