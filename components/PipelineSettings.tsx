// Pipeline settings, shown when nothing is selected: name, description (markdown), training.
// Training values are committed only when the document schema accepts them, so a saved file
// always loads again; params, by contrast, may be invalid for a while (the compiler says why).
import { useState } from 'react';
import { Training } from '../engine/pipeline/schema';
import { studio, useStudio } from '../lib/store';
import { Field, NumberInput, TextInput } from './fields';
import { Markdown } from './Markdown';

function TrainingField({ name, help }: { name: 'steps' | 'seed'; help: string }) {
  const value = useStudio((s) => s.doc.training[name]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Field label={`training.${name}`} help={help} errors={error ? [error] : []} testId={`training-${name}`}>
      {(id) => (
        <NumberInput
          id={id}
          testId={`input-training-${name}`}
          value={value}
          invalid={!!error}
          onCommit={(v) => {
            const parsed = Training.shape[name].safeParse(v);
            setError(parsed.success ? null : `${parsed.error.issues[0].message} (not applied)`);
            if (parsed.success) studio.getState().setTraining({ [name]: v });
          }}
        />
      )}
    </Field>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function PipelineSettings() {
  const meta = useStudio((s) => s.doc.meta);
  const counts = useStudio((s) =>
    [
      plural(s.doc.nodes.length, 'block'),
      plural(s.doc.edges.length, 'connection'),
      plural(s.doc.notes.length, 'note'),
      plural(s.doc.groups.length, 'group'),
    ].join(' · '),
  );
  const [preview, setPreview] = useState(true);
  return (
    <div className="pipeline-settings">
      <header className="inspector-head">
        <h2>Pipeline</h2>
        <p className="small muted">{counts}. Select a block to edit it.</p>
      </header>
      <Field label="Name" testId="pipeline-name">
        {(id) => <TextInput id={id} testId="input-pipeline-name" value={meta.name} onChange={(name) => studio.getState().setMeta({ name })} />}
      </Field>
      <Field
        label="Description"
        help="Markdown."
        action={
          <button type="button" className="link small" onClick={() => setPreview(!preview)}>
            {preview ? 'edit' : 'preview'}
          </button>
        }
      >
        {(id) =>
          preview ? (
            <div className="description-preview" onDoubleClick={() => setPreview(false)} title="Double-click to edit">
              {meta.description ? <Markdown text={meta.description} /> : <p className="muted">No description.</p>}
            </div>
          ) : (
            <TextInput id={id} multiline value={meta.description} onChange={(description) => studio.getState().setMeta({ description })} />
          )
        }
      </Field>
      <TrainingField name="steps" help="Optimizer steps in the run (1 … 10⁸)." />
      <TrainingField name="seed" help="Seeds weight initialisation (0 … 2³²−1). Samplers have their own seeds." />
    </div>
  );
}
