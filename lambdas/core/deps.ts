/** Everything the engine needs from the outside, wired by the handlers (or by tests). */
import type { LeaverConfig } from './config.ts';
import type { AuditAnchor } from './digest-ports.ts';
import type { InventoryStore } from './inventory.ts';
import type { SharedListings } from './listings.ts';
import type {
  AuditLog,
  Clock,
  ConnectorRegistry,
  Ids,
  JobQueue,
  Log,
  Notifier,
  OffboardingStore,
} from './ports.ts';

export interface EngineDeps {
  config: LeaverConfig;
  store: OffboardingStore;
  audit: AuditLog;
  queue: JobQueue;
  notifier: Notifier;
  /** May lack a vendor no tenant uses; a tenant whose vendor has no connector fails its discovery. */
  connectors: Partial<ConnectorRegistry>;
  clock: Clock;
  ids: Ids;
  log: Log;
  /** Who holds what at every vendor (the access inventory); without it every run discovers first. */
  inventory?: InventoryStore;
  /** Tenant listings shared in this process (core/listings.ts); without it each discovery lists on its own. */
  listings?: SharedListings;
  /**
   * This process as a lease holder. Its id is recorded on every claim (`leaseOwner`). `exclusive`
   * says no other process works on the same store (the local runtime: its storage directory is
   * locked to one process), so a lease held by anyone else belongs to a process that is gone. Absent
   * or not exclusive (AWS, where many worker instances run at once): leases lapse only with time.
   */
  leaseHolder?: LeaseHolder;
  /** Signed digests of the audit (digest-writer.ts); absent where none are configured. */
  anchor?: AuditAnchor;
}

export interface LeaseHolder {
  id: string;
  exclusive: boolean;
}

/** Audit actor names of the engine's own steps. */
export const ACTORS = {
  worker: 'worker',
  dueSweep: 'schedule:due-sweep',
  reconcile: 'schedule:reconcile',
  retrySweep: 'schedule:retry-sweep',
} as const;

export const nowMs = (deps: Pick<EngineDeps, 'clock'>) => deps.clock.now().getTime();
