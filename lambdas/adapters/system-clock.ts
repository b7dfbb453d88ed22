import type { Clock } from '../core/ports.ts';

/** The real time. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

export const systemClock: Clock = new SystemClock();

/** A clock the caller moves (tests, simulations). */
export class ManualClock implements Clock {
  private t: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
    if (Number.isNaN(this.t)) throw new Error('ManualClock needs a valid start time');
  }

  now(): Date {
    return new Date(this.t);
  }

  set(to: Date | string | number): void {
    this.t = new Date(to).getTime();
  }

  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
}
