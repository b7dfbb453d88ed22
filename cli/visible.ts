/**
 * What the CLI prints never carries a control character raw: a terminal runs escape sequences, so
 * a crafted value (a reason stored before the API refused control characters, or any answer of a
 * server one does not trust) could clear the screen or draw a fake line. Each control character
 * (C0, DEL, C1, and the line and paragraph separators) is printed as a visible escape, `\u001b`.
 */

const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

const escapeOf = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Every control character of `s` as a visible `\uXXXX` escape (newlines and tabs too). */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, escapeOf);
}

/** Like escapeControl, but the line breaks of output the CLI composed itself (`\n`, `\r\n`) stay. */
export function escapeControlKeepingLines(s: string): string {
  return s.replace(/\r\n|[\p{Cc}\u2028\u2029]/gu, (c) => (c === '\n' || c === '\r\n' ? c : escapeOf(c)));
}

/** A value with every string in it (keys included) escaped: what human-readable output formats. */
export function visible<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map(visible) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [escapeControl(k), visible(v)]),
    ) as T;
  }
  return value;
}

/**
 * JSON text for --json output. JSON.stringify escapes C0 but leaves DEL, C1 and the separators raw;
 * they can only occur inside strings, where `\uXXXX` is the same value, so nothing is lost.
 */
export function jsonText(value: unknown): string {
  // The only raw newlines are the indentation's (JSON.stringify escapes those inside strings).
  return JSON.stringify(value, null, 2).replace(CONTROL, (c) => (c === '\n' ? c : escapeOf(c)));
}

interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
  write?: (s: string) => void;
}

/**
 * The last guard: every line the CLI writes to stdout or stderr, whatever composed it, with its
 * control characters escaped (its own line breaks kept). An audit export written to a file with
 * --out is the server's answer byte for byte; on stdout it is guarded like everything else.
 */
export function guardedOutput<T extends Output>(io: T): T {
  const write = io.write;
  return {
    ...io,
    out: (s: string) => io.out(escapeControlKeepingLines(s)),
    err: (s: string) => io.err(escapeControlKeepingLines(s)),
    ...(write ? { write: (s: string) => write(escapeControlKeepingLines(s)) } : {}),
  };
}
