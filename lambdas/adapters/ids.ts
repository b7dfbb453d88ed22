/**
 * Offboarding ids: `off_` + a ULID (48-bit millisecond time + 80 random bits, Crockford base32),
 * so ids sort by creation time. Ids made in the same millisecond by one instance stay in order
 * (the random part is incremented).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Ids } from '../core/ports.ts';
import { systemClock } from './system-clock.ts';

export { systemClock } from './system-clock.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const OFFBOARDING_ID_PATTERN = /^off_[0-9A-HJKMNP-TV-Z]{26}$/;

export interface UlidIdsOptions {
  clock?: Clock;
  prefix?: string;
}

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** 80 random bits as 16 base32 digits (each digit one 5-bit value). */
function randomDigits(): number[] {
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => b & 31);
}

export function ulid(ms: number, random: number[] = randomDigits()): string {
  return encodeTime(ms) + random.map((d) => ALPHABET[d]).join('');
}

export class UlidIds implements Ids {
  private readonly clock: Clock;
  private readonly prefix: string;
  private lastMs = -1;
  private lastRandom: number[] = [];

  constructor(opts: UlidIdsOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.prefix = opts.prefix ?? 'off_';
  }

  offboardingId(): string {
    return this.prefix + this.next();
  }

  next(): string {
    const ms = Math.max(0, this.clock.now().getTime());
    if (ms <= this.lastMs) {
      // Same (or earlier) millisecond: keep the last time and increment the random part.
      const r = [...this.lastRandom];
      let i = r.length - 1;
      while (i >= 0 && r[i] === 31) {
        r[i] = 0;
        i--;
      }
      if (i >= 0) {
        r[i] = r[i]! + 1;
        this.lastRandom = r;
        return ulid(this.lastMs, r);
      }
      // Overflow of 80 bits within one millisecond: move on to the next millisecond.
      this.lastMs += 1;
    } else {
      this.lastMs = ms;
    }
    this.lastRandom = randomDigits();
    return ulid(this.lastMs, this.lastRandom);
  }
}
