/**
 * Targeted revocations against the sandbox, the kill switch, health, and the principal in AWS mode
 * (IAM and JWT authorisers) recorded in every audit record the call causes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { LeaverConfig } from '../../lambdas/core/config.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { CM_ORG, call, callWith, DANA, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

const ARN = 'arn:aws:sts::123456789012:assumed-role/SecurityEngineer/alice';

async function planItem(email: string, kind: string) {
  const plan = await call('POST', '/v1/preview', { body: { email } });
  return plan.body.items.find((i: { kind: string }) => i.kind === kind) as
    | { vendor: string; tenantId: string; kind: string; ids: Record<string, string>; grantKey: string }
    | undefined;
}

describe('POST /v1/revocations', () => {
  it('revokes one named grant, then reports it already absent; audited with the principal', async () => {
    const item = await planItem(DANA, 'cloudmanager_org_invitation');
    expect(item?.ids.orgId).toBe(CM_ORG);
    const body = {
      vendor: item!.vendor,
      tenantId: item!.tenantId,
      kind: item!.kind,
      ids: item!.ids,
      email: DANA,
      reason: 'ticket SEC-1',
    };
    const res = await call('POST', '/v1/revocations', { body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'revoked',
      grantKey: item!.grantKey,
      grant: { kind: item!.kind, email: DANA },
    });
    expect(res.body.revocationId).toMatch(/^revocation-/);
    expect(await planItem(DANA, 'cloudmanager_org_invitation')).toBeUndefined();

    const again = await call('POST', '/v1/revocations', { body });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('already_absent');

    const audit = await call('GET', `/v1/offboardings/${res.body.revocationId}/audit`);
    expect(audit.status).toBe(200);
    expect(audit.body.chain.valid).toBe(true);
    const finished = audit.body.records.find((r: { event: string }) => r.event === 'action_finished');
    expect(finished).toMatchObject({ actor: 'local', outcome: 'revoked', grantKey: item!.grantKey });
    const started = audit.body.records.find((r: { event: string }) => r.event === 'action_started');
    expect(started.detail.reason).toBe('ticket SEC-1');
  });

  it('never removes a protected account, even when named (skipped, audited)', async () => {
    const email = 'breakglass-admin@example.com';
    const plan = await call('POST', '/v1/preview', { body: { email } });
    const item = plan.body.items[0] as {
      vendor: string;
      tenantId: string;
      kind: string;
      ids: Record<string, string>;
    };
    expect(item).toBeDefined();
    const body = {
      vendor: item.vendor,
      tenantId: item.tenantId,
      kind: item.kind,
      ids: item.ids,
      email,
      reason: 'nope',
    };
    // A plan item is not a request: its extra fields are refused.
    expect((await call('POST', '/v1/revocations', { body: { ...item, email, reason: 'x' } })).status).toBe(
      400,
    );
    const res = await call('POST', '/v1/revocations', { body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'skipped', skipReason: 'protected_account' });
    const after = await call('POST', '/v1/preview', { body: { email } });
    expect(after.body.items).toEqual(plan.body.items);
  });

  it('reports a vendor failure as outcome failed with its code (and audits it)', async () => {
    const item = await planItem(DANA, 'cloudmanager_project_invitation');
    expect(item).toBeDefined();
    // Credentials the vendor refuses: a fast, non-retryable vendor failure.
    const secrets = {
      get: async <T>() => ({ publicKey: 'cmdemopub', privateKey: 'wrong' }) as T,
      invalidate: () => {},
    };
    const deps = { ...rt.deps, connectors: createConnectors({ secrets, log: rt.deps.log }) };
    const res = await callWith({ deps, auth: 'local', secrets: rt.deps.secrets }, 'POST', '/v1/revocations', {
      body: {
        vendor: item!.vendor,
        tenantId: item!.tenantId,
        kind: item!.kind,
        ids: item!.ids,
        reason: 'fault',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('failed');
    expect(res.body.errorCode).toBe('vendor_auth');
    const audit = await call('GET', `/v1/offboardings/${res.body.revocationId}/audit`);
    expect(audit.body.records.at(-1)).toMatchObject({ outcome: 'failed', errorCode: 'vendor_auth' });
    expect(await planItem(DANA, 'cloudmanager_project_invitation')).toBeDefined();
  });
});

describe('kill switch', () => {
  it('turns on (audited, with principal), blocks targeted revocations with 423, and turns off', async () => {
    const on = await call('PUT', '/v1/kill-switch', { body: { enabled: true, reason: 'incident 42' } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({
      enabled: true,
      configured: false,
      flag: { enabled: true, reason: 'incident 42', by: 'local' },
    });
    expect((await call('GET', '/v1/kill-switch')).body).toMatchObject({
      enabled: true,
      flag: { by: 'local' },
    });
    expect((await call('GET', '/v1/health')).body.killSwitch).toBe(true);

    const item = await planItem(DANA, 'atlas_org_invitation');
    const blocked = await call('POST', '/v1/revocations', {
      body: {
        vendor: 'atlas',
        tenantId: 'atlas-demo',
        kind: 'atlas_org_invitation',
        ids: item!.ids,
        reason: 'x',
      },
    });
    expect(blocked.status).toBe(423);
    expect(blocked.body.code).toBe('kill_switch');
    expect(await planItem(DANA, 'atlas_org_invitation')).toBeDefined();

    const off = await call('PUT', '/v1/kill-switch', { body: { enabled: false, reason: 'resolved' } });
    expect(off.body).toMatchObject({ enabled: false, flag: { enabled: false, reason: 'resolved' } });

    const global = await rt.deps.audit.stream('global');
    const flips = global.items.filter((r) => r.event === 'kill_switch');
    expect(flips.map((r) => [r.actor, r.detail?.enabled])).toEqual([
      ['local', true],
      ['local', false],
    ]);
  });

  it('says when the configuration holds the switch on', async () => {
    const deps = {
      ...rt.deps,
      config: { ...rt.deps.config, safety: { ...rt.deps.config.safety, killSwitch: true } },
    };
    const res = await callWith({ deps, auth: 'local', secrets: rt.deps.secrets }, 'GET', '/v1/kill-switch');
    expect(res.body).toMatchObject({ enabled: true, configured: true });
  });
});

describe('GET /v1/health', () => {
  it('is ok with a working store and degraded (503) without one', async () => {
    const ok = await call('GET', '/v1/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', checks: { config: 'ok', store: 'ok' } });
    const deps = {
      ...rt.deps,
      store: {
        ...rt.deps.store,
        getKillSwitch: async () => {
          throw new Error('down');
        },
      },
    };
    const bad = await callWith({ deps, auth: 'local', secrets: rt.deps.secrets }, 'GET', '/v1/health');
    expect(bad.status).toBe(503);
    expect(bad.body).toMatchObject({ status: 'degraded', checks: { store: 'error' } });
  });
});

describe('AWS mode: the principal comes from the API Gateway authoriser', () => {
  const aws = () => ({ deps: rt.deps, auth: 'aws' as const });

  it('IAM: the caller ARN is the origin and the actor of every audit record of the call', async () => {
    const res = await callWith(aws(), 'POST', '/v1/offboardings', {
      token: null,
      authorizer: { iam: { userArn: ARN, accountId: '123456789012' } },
      body: { email: 'iam-caller@example.com', effectiveAt: '2099-01-01', reason: 'iam' },
    });
    expect(res.status).toBe(202);
    expect(res.body.origin).toEqual({ type: 'api', id: ARN });
    const cancel = await callWith(aws(), 'POST', `/v1/offboardings/${res.body.id}/cancel`, {
      token: null,
      authorizer: { iam: { userArn: ARN } },
    });
    expect(cancel.status).toBe(200);
    const audit = await rt.deps.audit.stream(res.body.id);
    expect(audit.items.length).toBeGreaterThanOrEqual(2);
    expect(new Set(audit.items.map((r) => r.actor))).toEqual(new Set([ARN]));
  });

  it('JWT: the token subject is the principal when the configuration says jwt', async () => {
    const config: LeaverConfig = {
      ...rt.deps.config,
      api: {
        ...rt.deps.config.api,
        auth: 'jwt',
        jwt: { issuer: 'https://id.example.com', audience: ['leaver'] },
      },
    };
    const res = await callWith({ deps: { ...rt.deps, config }, auth: 'aws' }, 'PUT', '/v1/kill-switch', {
      token: null,
      authorizer: { jwt: { claims: { sub: 'user-123', iss: 'https://id.example.com' }, scopes: [] } },
      body: { enabled: false, reason: 'jwt check' },
    });
    expect(res.status).toBe(200);
    expect(res.body.flag.by).toBe('user-123');
    // An IAM context is not a JWT subject.
    const iam = await callWith({ deps: { ...rt.deps, config }, auth: 'aws' }, 'GET', '/v1/kill-switch', {
      token: null,
      authorizer: { iam: { userArn: ARN } },
    });
    expect(iam.status).toBe(401);
  });

  it('without the authoriser context (or with only a bearer token) the call is refused: 401', async () => {
    const none = await callWith(aws(), 'GET', '/v1/offboardings?status=scheduled');
    expect(none.status).toBe(401);
    const empty = await callWith(aws(), 'GET', '/v1/offboardings?status=scheduled', {
      authorizer: { iam: {} },
    });
    expect(empty.status).toBe(401);
    // Health stays public.
    expect((await callWith(aws(), 'GET', '/v1/health', { token: null })).status).toBe(200);
  });
});
