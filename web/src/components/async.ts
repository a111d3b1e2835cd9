// A hook for data a page loads: loading, data and a readable error, reloaded when its keys change.
import { useCallback, useEffect, useState } from "preact/hooks";

export interface Async<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  setData: (value: T) => void;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function useAsync<T>(load: () => Promise<T>, keys: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    load().then(
      (value) => live && (setData(value), setLoading(false)),
      (err: unknown) => live && (setError(errorText(err)), setLoading(false)),
    );
    return () => {
      live = false;
    };
  }, [...keys, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, setData };
}
