/**
 * Loads a value and loads it again every `everyMs` while the tab is visible (the API has no push
 * channel in AWS: API Gateway's HTTP API answers once per request), and at once on `reload()`.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => Promise<void>;
}

export function usePoll<T>(load: () => Promise<T>, everyMs: number | undefined, deps: unknown[]): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, loading: false });
    } catch (e) {
      if (mine === generation.current) setState((s) => ({ ...s, error: e as Error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    generation.current++;
    setState({ loading: true });
    void reload();
    if (!everyMs) return;
    const timer = setInterval(() => {
      if (!document.hidden) void reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { ...state, reload };
}
