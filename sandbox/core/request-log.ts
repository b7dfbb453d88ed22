import type { VendorName } from './types.ts';

export interface RequestLogEntry {
  seq: number;
  vendor: VendorName;
  method: string;
  /** Path below the vendor root, e.g. `/api/public/v1.0/orgs/.../invites`. */
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  /** HTTP status sent; `null` when the connection was reset or the request hung. */
  status: number | null;
  /** ISO time on the sandbox clock when the request arrived. */
  at: string;
  durationMs: number;
  /** Who it authenticated as (set by the emulator), never a secret. */
  identity?: string;
  /** Id of the fault rule that decided the outcome, if any. */
  fault?: string;
}

export interface RequestLogFilter {
  vendor?: VendorName;
  method?: string;
  /** Regex source tested against `path`. */
  path?: string;
}

/** Bounded in-memory request log (oldest entries dropped past `max`). */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly max = 100_000) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.seq += 1;
    this.entries.push({ seq: this.seq, ...entry });
    // Trim in chunks (amortised O(1) per request even when the log is full).
    if (this.entries.length > this.max + Math.max(1, this.max >> 4)) {
      this.entries.splice(0, this.entries.length - this.max);
    }
  }

  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    const re = filter.path ? new RegExp(filter.path) : undefined;
    const method = filter.method?.toUpperCase();
    return this.entries.filter(
      (e) =>
        (!filter.vendor || e.vendor === filter.vendor) &&
        (!method || e.method === method) &&
        (!re || re.test(e.path)),
    );
  }

  clear(): void {
    this.entries = [];
  }
}
