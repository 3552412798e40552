import { useState } from 'preact/hooks';
import { apiKey, setApiKey } from './api';
import { ExecutionPage } from './pages/execution-page';
import { TracePage } from './pages/trace-page';
import { TracesPage } from './pages/traces-page';
import { onInternalClick, useRoute } from './router';

/** The pages built so far; /streams, /tail/{family} and /dead-letters come with their issues. */
export function App() {
  const route = useRoute();
  // Bumped when the key changes, so the page reads again with it.
  const [keyVersion, setKeyVersion] = useState(0);
  const onKey = (key: string | undefined) => {
    setApiKey(key);
    setKeyVersion((v) => v + 1);
  };
  let page;
  switch (route.page) {
    case 'traces':
      page = <TracesPage key={`traces-${keyVersion}`} query={route.query} />;
      break;
    case 'trace':
      page = <TracePage key={`${route.requestId}-${keyVersion}`} requestId={route.requestId} />;
      break;
    case 'execution':
      page = (
        <ExecutionPage key={`${route.executionId}-${keyVersion}`} executionId={route.executionId} />
      );
      break;
    default:
      page = (
        <section>
          <h1>Not found</h1>
          <p>
            The console has no page at <code>{route.path}</code>.
          </p>
        </section>
      );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/traces" onClick={onInternalClick}>
          runlog console
        </a>
        <nav aria-label="Pages">
          <a
            href="/traces"
            onClick={onInternalClick}
            aria-current={route.page === 'traces' ? 'page' : undefined}
          >
            Traces
          </a>
        </nav>
        <KeyForm onKey={onKey} />
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

/**
 * The API key of this tab (kept in sessionStorage), for deployments with RUNLOG_API_KEYS:
 * a `read` key shows the pages. Without keys (protected mode) none is needed.
 */
function KeyForm({ onKey }: { onKey: (key: string | undefined) => void }) {
  const [draft, setDraft] = useState('');
  const [hasKey, setHasKey] = useState(apiKey() !== undefined);
  if (hasKey)
    return (
      <div class="key">
        <span>Key set for this tab</span>
        <button
          type="button"
          onClick={() => {
            setHasKey(false);
            onKey(undefined);
          }}
        >
          Forget key
        </button>
      </div>
    );
  return (
    <form
      class="key"
      onSubmit={(event) => {
        event.preventDefault();
        const key = draft.trim();
        if (!key) return;
        setDraft('');
        setHasKey(true);
        onKey(key);
      }}
    >
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        value={draft}
        onInput={(event) => setDraft(event.currentTarget.value)}
        placeholder="only when keys are set"
      />
      <button type="submit">Use key</button>
    </form>
  );
}
