import { useEffect, useState } from 'preact/hooks';

// Pages at stable URLs: the server answers each with this app, which reads the URL.

export type Route =
  | { readonly page: 'traces'; readonly query: URLSearchParams }
  | { readonly page: 'trace'; readonly requestId: string }
  | { readonly page: 'execution'; readonly executionId: string }
  | { readonly page: 'not-found'; readonly path: string };

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function parseRoute(path: string, search: string): Route {
  if (path === '/traces' || path === '/traces/' || path === '/')
    return { page: 'traces', query: new URLSearchParams(search) };
  const trace = /^\/traces\/([^/]+)$/.exec(path);
  const requestId = trace?.[1] === undefined ? undefined : decode(trace[1]);
  if (requestId !== undefined) return { page: 'trace', requestId };
  const execution = /^\/executions\/([^/]+)$/.exec(path);
  const executionId = execution?.[1] === undefined ? undefined : decode(execution[1]);
  if (executionId !== undefined) return { page: 'execution', executionId };
  return { page: 'not-found', path };
}

const NAVIGATED = 'runlog:navigated';

/** Moves to another page of the console without reloading it. */
export function navigate(href: string): void {
  history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
}

export function useRoute(): Route {
  const current = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/** A link that stays in the app (ctrl/cmd-click still opens a new tab). */
export function onInternalClick(event: MouseEvent): void {
  const anchor = event.currentTarget;
  if (!(anchor instanceof HTMLAnchorElement)) return;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  event.preventDefault();
  navigate(anchor.getAttribute('href') ?? '/');
}
