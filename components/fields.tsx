// Form inputs shared by the inspector: a number box that keeps what you type until it parses,
// a switch, a select, text. All of them are controlled by the document value.
import { useEffect, useId, useState } from 'react';
import { parseNumber } from '../lib/param-form';
import { cls } from './theme';

/**
 * A number input. Text that is not a number stays in the box with a message and is not
 * committed; any number is committed (the schema and compiler judge its range).
 */
export function NumberInput({
  value,
  onCommit,
  invalid,
  id,
  testId,
}: {
  value: unknown;
  onCommit: (v: number) => void;
  invalid?: boolean;
  id?: string;
  testId?: string;
}) {
  const shown = typeof value === 'number' ? String(value) : value === undefined ? '' : JSON.stringify(value);
  const [text, setText] = useState(shown);
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => {
    // The value changed elsewhere (undo, JSON tab): show it, unless the box already says it.
    const parsed = parseNumber(text);
    if (!(parsed.ok && parsed.value === value)) {
      setText(shown);
      setParseError(null);
    }
  }, [value]); // only changes of the value from outside matter here, not each keystroke
  return (
    <>
      <input
        id={id}
        data-testid={testId}
        className={cls('input', (invalid || parseError) && 'is-invalid')}
        type="text"
        inputMode="decimal"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parseNumber(e.target.value);
          if (parsed.ok) {
            setParseError(null);
            onCommit(parsed.value);
          } else setParseError(parsed.message);
        }}
      />
      {parseError && <div className="field-error">{parseError}</div>}
    </>
  );
}

export function Switch({ checked, onChange, id, testId }: { checked: boolean; onChange: (v: boolean) => void; id?: string; testId?: string }) {
  return (
    <label className="switch">
      <input id={id} data-testid={testId} type="checkbox" role="switch" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <span className="track" aria-hidden />
      <span className="switch-text">{checked ? 'on' : 'off'}</span>
    </label>
  );
}

export function Select({
  value,
  options,
  onChange,
  id,
  testId,
  invalid,
}: {
  value: unknown;
  options: string[];
  onChange: (v: string) => void;
  id?: string;
  testId?: string;
  invalid?: boolean;
}) {
  const known = typeof value === 'string' && options.includes(value);
  return (
    <select
      id={id}
      data-testid={testId}
      className={cls('input', invalid && 'is-invalid')}
      value={known ? value : '__other'}
      onChange={(e) => onChange(e.target.value)}
    >
      {!known && <option value="__other">{JSON.stringify(value)} (not an option)</option>}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}

export function TextInput({
  value,
  onChange,
  id,
  testId,
  invalid,
  multiline,
  placeholder,
}: {
  value: string;
  onChange: (v: string) => void;
  id?: string;
  testId?: string;
  invalid?: boolean;
  multiline?: boolean;
  placeholder?: string;
}) {
  const props = { id, 'data-testid': testId, className: cls('input', invalid && 'is-invalid'), value, placeholder, spellCheck: false };
  return multiline ? (
    <textarea {...props} rows={4} onChange={(e) => onChange(e.target.value)} />
  ) : (
    <input {...props} type="text" onChange={(e) => onChange(e.target.value)} />
  );
}

/** A label + input + help + messages row. */
export function Field({
  label,
  help,
  errors,
  children,
  badge,
  action,
  testId,
  dim,
}: {
  label: string;
  help?: React.ReactNode;
  errors?: string[];
  children: (id: string) => React.ReactNode;
  badge?: string;
  action?: React.ReactNode;
  testId?: string;
  dim?: boolean;
}) {
  const id = useId();
  return (
    <div className={cls('field', !!errors?.length && 'has-error', dim && 'is-dim')} data-testid={testId}>
      <div className="field-head">
        <label htmlFor={id}>{label}</label>
        {badge && <span className="badge">{badge}</span>}
        <span className="spacer" />
        {action}
      </div>
      {children(id)}
      {help && <div className="field-help">{help}</div>}
      {errors?.map((e, i) => (
        <div key={i} className="field-error" role="alert">
          {e}
        </div>
      ))}
    </div>
  );
}
