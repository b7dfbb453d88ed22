/** Shared setup of the core unit tests: in-memory ports, fake connectors, and small drivers. */
import { verifyChain } from '../../../lambdas/core/audit-chain.ts';
import type { LeaverConfigInput } from '../../../lambdas/core/config.ts';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import type { HrEvent } from '../../../lambdas/core/model.ts';
import type { Ctx } from '../../../lambdas/core/ports.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { fakeRegistry } from '../../support/fake-connector.ts';
import { memoryDeps } from '../../support/memory-ports.ts';

export const DANA = 'dana.leaver@example.com';
export const SAM = 'sam.stays@example.com';
export const ALEX = 'alex.leaver@example.com';
export const BREAKGLASS = 'breakglass-admin@example.com';

export function engine(config: LeaverConfigInput = {}) {
  const fakes = fakeRegistry();
  const deps = memoryDeps({ config, connectors: fakes });
  const ctx = (ms = 60_000): Ctx => ({ deadline: deps.clock.now().getTime() + ms, log: deps.log });
  let n = 0;
  const terminate = async (email: string, over: Partial<HrEvent> = {}) => {
    const [r] = await acceptHrEvents(
      deps,
      [
        {
          kind: 'terminate',
          source: 'standard',
          sourceEventId: `msg_${++n}`,
          subject: { email, aliases: [] },
          occurredAt: deps.clock.now().toISOString(),
          ...over,
        },
      ],
      { type: 'hr', id: 'standard' },
    );
    return r!.offboardingId!;
  };
  /** Delivers every queued id to the worker once. */
  const work = async (ms?: number) => processOffboardings(deps, deps.queue.drain(), ctx(ms));
  const chainOk = (id: string) => verifyChain(deps.audit.records(id)).ok;
  return { deps, fakes, ctx, terminate, work, chainOk };
}
