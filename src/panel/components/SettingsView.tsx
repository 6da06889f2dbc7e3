import { useEffect, useState } from 'preact/hooks';
import { fieldsOf, patchOf, readSetAnswer, type SettingsFields } from '../model/settings-form';
import { getSettings, setSettings } from '../platform';

type Status = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

export function SettingsView() {
  const [fields, setFields] = useState<SettingsFields | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  useEffect(() => {
    getSettings().then(
      (s) => setFields(fieldsOf(s)),
      (e: unknown) => setStatus({ kind: 'error', message: `Could not read the settings: ${String(e)}` }),
    );
  }, []);
  if (!fields) return <p class="muted">{status.kind === 'error' ? status.message : 'Loading settings…'}</p>;
  const field = (key: keyof SettingsFields, label: string, help: string, numeric = false) => (
    <div class="field">
      <label for={`setting-${key}`}>{label}</label>
      <input
        id={`setting-${key}`}
        type="text"
        inputMode={numeric ? 'numeric' : undefined}
        class="mono"
        data-testid={`setting-${key}`}
        value={fields[key]}
        onInput={(e) => setFields({ ...fields, [key]: e.currentTarget.value })}
      />
      <span class="muted">{help}</span>
    </div>
  );
  const save = async (e: Event) => {
    e.preventDefault();
    const local = patchOf(fields);
    if (!local.ok) {
      setStatus({ kind: 'error', message: local.error });
      return;
    }
    setStatus({ kind: 'saving' });
    try {
      const answer = readSetAnswer(await setSettings(local.patch));
      if (answer.ok) {
        setFields(fieldsOf(answer.settings));
        setStatus({ kind: 'saved' });
      } else setStatus({ kind: 'error', message: answer.error });
    } catch (error) {
      setStatus({ kind: 'error', message: String(error) });
    }
  };
  return (
    <form class="view settings" onSubmit={save} aria-label="Settings">
      <h2>Project key rules</h2>
      {field('queryParams', 'URL query parameters', 'Comma-separated; the first one present in a connection URL names its project.')}
      {field('namePattern', 'Channel / lock name pattern', 'Regular expression matched against BroadcastChannel and Web Lock names.')}
      {field('nameGroup', 'Pattern group', 'Capture group of the pattern that holds the project key (0–9).', true)}
      <h2>Capture</h2>
      {field('previewBytes', 'Preview size (characters)', 'How much of each message’s data the page script keeps (0–65536).', true)}
      {field('logEntries', 'Log entries kept', 'Events the extension keeps; the oldest go first (1000–1000000).', true)}
      {field(
        'messageLogRate',
        'Message log rate (per second)',
        'SSE messages and BroadcastChannel posts and receipts logged one by one, per second per connection or channel (bursts of up to as many at once); short Web Lock requests likewise per lock name. Over it they are counted in one summary entry; counts and bytes stay exact. 0 logs every message, at a cost to pages that receive thousands a second.',
        true,
      )}
      <h2>Server view</h2>
      <p class="muted">Per project, in the Project view (“Server view settings”): the server’s monitoring URL and where the user id comes from. Kept by the panel in browser.storage.sync.</p>
      <div class="field">
        <button type="submit" data-testid="settings-save" disabled={status.kind === 'saving'}>Save</button>
        {status.kind === 'saved' && <span role="status" data-testid="settings-status"> Saved.</span>}
        {status.kind === 'error' && (
          <span role="alert" class="bad" data-testid="settings-error"> {status.message}</span>
        )}
      </div>
    </form>
  );
}
