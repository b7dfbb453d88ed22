/**
 * The API's calls into core's management commands (core/commands.ts), with the caller's principal
 * and the request's deadline, and the mapping of their results to API views.
 */

import type * as z from 'zod';
import {
  cancelOffboarding,
  type Plan,
  previewOffboarding,
  releaseOffboarding,
  retryOffboarding,
  setKillSwitch,
  startOffboarding,
  targetedRevoke,
} from '../core/commands.ts';
import { mapLimit } from '../core/concurrency.ts';
import type { EngineDeps } from '../core/deps.ts';
import { LeaverError } from '../core/errors.ts';
import { auditOffboarding } from '../core/lifecycle.ts';
import { type Grant, grantKey, type Offboarding } from '../core/model.ts';
import type { Ctx, DeadLetterQueue } from '../core/ports.ts';
import type { DeadLetterListSchema, KillSwitchSchema, PlanView, RevocationResultSchema } from './schemas.ts';
import { grantView } from './views.ts';

export type Deps = EngineDeps;

interface Env {
  deps: EngineDeps;
  deadline: number;
}

function ctxOf(env: Env): Ctx {
  return { deadline: env.deadline, log: env.deps.log };
}

export function planView(plan: Plan): PlanView {
  const items = plan.items.map((i) => {
    const item: PlanView['items'][number] = {
      grantKey: grantKey(i),
      vendor: i.vendor,
      tenantId: i.tenantId,
      kind: i.kind,
      phase: i.phase,
      email: i.email,
      ids: { ...i.ids },
      action: i.action,
    };
    if (i.scopeName !== undefined) item.scopeName = i.scopeName;
    if (i.skipReason !== undefined) item.skipReason = i.skipReason;
    return item;
  });
  return {
    email: plan.subject.email,
    emails: [plan.subject.email, ...plan.subject.aliases],
    items,
    counts: {
      revoke: items.filter((i) => i.action === 'revoke').length,
      skip: items.filter((i) => i.action === 'skip').length,
    },
    failures: plan.failedTenants.map((f) => ({
      vendor: f.vendor,
      tenantId: f.tenantId,
      errorCode: f.errorCode,
    })),
  };
}

export async function preview(
  env: Env,
  principal: string,
  input: { email: string; aliases: string[] },
): Promise<PlanView> {
  return planView(await previewOffboarding(env.deps, principal, input, ctxOf(env)));
}

export async function start(
  env: Env,
  principal: string,
  input: {
    email: string;
    aliases: string[];
    effectiveAt?: string;
    reason: string;
    dryRun?: boolean;
    idempotencyKey?: string;
  },
): Promise<{ plan: PlanView } | { offboarding: Offboarding }> {
  const r = await startOffboarding(env.deps, principal, input, ctxOf(env));
  return r.dryRun ? { plan: planView(r.plan) } : { offboarding: r.offboarding };
}

export async function lifecycle(
  env: Env,
  principal: string,
  action: 'cancel' | 'retry' | 'release',
  input: { id: string; reason?: string },
): Promise<Offboarding> {
  if (action === 'cancel') return cancelOffboarding(env.deps, principal, input.id, input.reason);
  if (action === 'retry') return retryOffboarding(env.deps, principal, input.id);
  return releaseOffboarding(env.deps, principal, input.id);
}

export async function revoke(
  env: Env,
  principal: string,
  input: { grant: Grant; reason: string },
): Promise<z.output<typeof RevocationResultSchema>> {
  const grant = input.grant;
  const r = await targetedRevoke(
    env.deps,
    principal,
    {
      grant: {
        vendor: grant.vendor,
        tenantId: grant.tenantId,
        kind: grant.kind,
        ids: grant.ids,
        ...(grant.email ? { email: grant.email } : {}),
      },
      reason: input.reason,
    },
    ctxOf(env),
  );
  const out: z.output<typeof RevocationResultSchema> = {
    revocationId: r.revocationId,
    grantKey: r.grantKey,
    grant: grantView(grant),
    outcome: r.outcome,
  };
  if (r.skipReason) out.skipReason = r.skipReason;
  if (r.errorCode) out.errorCode = r.errorCode;
  if (r.vendorRequestId) out.vendorRequestId = r.vendorRequestId;
  return out;
}

type KillSwitchView = z.output<typeof KillSwitchSchema>;

export async function killSwitch(
  env: Env,
  principal: string,
  input: { enabled: boolean; reason: string },
): Promise<KillSwitchView> {
  const s = await setKillSwitch(env.deps, principal, input);
  return {
    enabled: s.enabled || s.configured,
    configured: s.configured,
    flag: { enabled: s.enabled, reason: s.reason, by: s.by, at: s.at },
    ...(s.resumed ? { resumed: s.resumed } : {}),
  };
}

export async function killSwitchNow(env: Pick<Env, 'deps'>): Promise<KillSwitchView> {
  const configured = env.deps.config.safety.killSwitch;
  const flag = await env.deps.store.getKillSwitch();
  const view: KillSwitchView = { enabled: configured || flag.enabled, configured };
  if (flag.reason !== undefined || flag.enabled) {
    view.flag = { enabled: flag.enabled, reason: flag.reason, by: flag.by, at: flag.at };
    for (const k of ['reason', 'by', 'at'] as const) if (view.flag[k] === undefined) delete view.flag[k];
  }
  return view;
}

/** Time kept back from the request's deadline for auditing what a redrive moved. */
const REDRIVE_RESERVE_MS = 8_000;

/** The dead-letter queue, or not_found where this deployment has none wired. */
function dlq(env: { deadLetters?: DeadLetterQueue }): DeadLetterQueue {
  if (!env.deadLetters)
    throw new LeaverError('not_found', 'This deployment has no dead-letter queue to inspect');
  return env.deadLetters;
}

/** Up to `limit` dead letters, each with its offboarding's status now; the messages stay in the queue. */
export async function deadLetters(
  env: Pick<Env, 'deps'> & { deadLetters?: DeadLetterQueue },
  limit: number,
): Promise<z.output<typeof DeadLetterListSchema>> {
  const page = await dlq(env).peek(limit);
  const items = [];
  for (const d of page.items) {
    const off = d.offboardingId ? await env.deps.store.get(d.offboardingId) : undefined;
    items.push({
      ...d,
      ...(off ? { status: off.status } : {}),
      ...(off?.heldAt ? { heldAt: off.heldAt } : {}),
    });
  }
  return { items, more: page.more };
}

/**
 * Moves up to `limit` dead letters back to the work queue; each offboarding they name is audited
 * `retry_scheduled` (manual, `deadLetterRedrive`) with the caller as actor.
 */
export async function redriveDeadLetters(
  env: Env & { deadLetters?: DeadLetterQueue },
  principal: string,
  limit: number,
): Promise<{ moved: number; failed: number }> {
  // No new batch in the request's last seconds: they are kept for the audit records.
  const r = await dlq(env).redrive(limit, { until: env.deadline - REDRIVE_RESERVE_MS });
  // One stream per offboarding: their audit writes may run side by side.
  await mapLimit([...new Set(r.offboardingIds)], 10, async (id) => {
    const off = await env.deps.store.get(id);
    if (off) {
      await auditOffboarding(env.deps, off, 'retry_scheduled', principal, {
        detail: { manual: true, deadLetterRedrive: true },
      });
    }
  });
  env.deps.log.warn('dead-letter queue redriven', { moved: r.moved, failed: r.failed, by: principal });
  return { moved: r.moved, failed: r.failed };
}
