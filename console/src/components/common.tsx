import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { dateTime } from '../format.ts';

/** A wide table that scrolls sideways on a narrow screen, reachable and scrollable by keyboard. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard.
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function ErrorNote({ error }: { error?: Error | string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {typeof error === 'string' ? error : error.message}
    </p>
  );
}

/** The page's heading; it takes the focus when the page opens, so a screen reader announces it. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Time({ iso }: { iso?: string }) {
  if (!iso) return <span>–</span>;
  return (
    <time dateTime={iso} title={iso}>
      {dateTime(iso)}
    </time>
  );
}
