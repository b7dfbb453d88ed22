import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { dateTime } from '../format.ts';

/** A wide table that scrolls sideways on a narrow screen, reachable and scrollable by keyboard. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard.
    <section class="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
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

/** Set once the person has moved from one page to another inside the console. */
let navigated = false;
addEventListener('hashchange', () => {
  navigated = true;
});

/**
 * The page's heading. After a move between pages it takes the focus, so a screen reader announces
 * the new page and Tab continues from there; on the first load the focus stays at the top, where
 * the skip link is.
 */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (navigated) ref.current?.focus({ preventScroll: true });
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
