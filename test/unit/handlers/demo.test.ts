/** local/demo.ts against a scripted local runtime (fetch double): what it sends and how it exits. */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lambdas/handlers/config-loader.ts';
import { runDemo } from '../../../local/demo.ts';

const config = loadConfig({});
const secrets = 'local/secrets.json';

function fakeRuntime(detail: Record<string, unknown>, opts: { hookStatus?: number } = {}) {
  const seen: Array<{ url: string; init?: RequestInit }> = [];
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    seen.push({ url, ...(init ? { init } : {}) });
    if (url.includes('/hooks/')) {
      return new Response(JSON.stringify({ offboardingId: 'off_demo' }), { status: opts.hookStatus ?? 202 });
    }
    return new Response(JSON.stringify({ id: 'off_demo', ...detail }), { status: 200 });
  }) as typeof fetch;
  return { seen, fetchImpl };
}

const action = (outcome: string, extra: Record<string, unknown> = {}) => ({
  vendor: 'cloudmanager',
  tenantId: 'cm',
  kind: 'cloudmanager_org_invitation',
  outcome,
  ...extra,
});

describe('npm run demo', () => {
  it('sends a Standard Webhooks termination the source verifies, polls with the API token, exits 0 when completed', async () => {
    const { seen, fetchImpl } = fakeRuntime({
      status: 'completed',
      vendors: [{ vendor: 'cloudmanager', actions: [action('revoked')] }],
    });
    let printed = '';
    const r = await runDemo({
      email: 'dana.leaver@example.com',
      baseUrl: 'http://127.0.0.1:1',
      config,
      secretsFile: secrets,
      fetchImpl,
      write: (t) => {
        printed += t;
      },
    });
    expect(r.exitCode).toBe(0);
    const hook = seen[0]!;
    expect(hook.url).toBe('http://127.0.0.1:1/hooks/standard');
    const headers = hook.init!.headers as Record<string, string>;
    const body = hook.init!.body as string;
    expect(JSON.parse(body)).toMatchObject({
      type: 'employee.terminated',
      data: { email: 'dana.leaver@example.com' },
    });
    // The signature verifies with the secret the runtime's standard source uses.
    const { secret } = (await import('../../../local/secrets.json', { with: { type: 'json' } })).default[
      'leaver/hooks/standard'
    ];
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    const poll = seen[1]!;
    expect(poll.url).toBe('http://127.0.0.1:1/v1/offboardings/off_demo');
    expect((poll.init!.headers as Record<string, string>).authorization).toMatch(/^Bearer \S+/);
    expect(printed).toMatch(
      /^cloudmanager, tenant cm\n {2}GRANT\s+SCOPE\s+OUTCOME\s+DETAIL\n {2}org_invitation\s+revoked$/m,
    );
  });

  it('exits 1 when actions failed, and says the retry sweep will take them up', async () => {
    const { fetchImpl } = fakeRuntime({
      status: 'completed_with_failures',
      vendors: [
        {
          vendor: 'cloudmanager',
          actions: [action('revoked'), action('failed', { errorCode: 'vendor_unavailable' })],
        },
      ],
    });
    let printed = '';
    const r = await runDemo({
      email: 'x@example.com',
      config,
      secretsFile: secrets,
      fetchImpl,
      write: (t) => (printed += t),
    });
    expect(r.exitCode).toBe(1);
    expect(printed).toContain('vendor_unavailable');
    expect(printed).toContain('1 action(s) failed');
  });

  it('prints a table that fits 100 columns, however long the scope or the error code', async () => {
    const itwin = (kind: string, outcome: string, extra: Record<string, unknown> = {}) => ({
      vendor: 'itwin',
      tenantId: 'itwin-a-rather-long-tenant-id',
      kind,
      scopeName: 'iTwin 7c0f0a3e-0000-4000-8000-000000000002 group Survey Team of the Northern Region',
      outcome,
      ...extra,
    });
    const { fetchImpl } = fakeRuntime({
      status: 'completed_with_failures',
      vendors: [
        {
          vendor: 'itwin',
          actions: [
            itwin('itwin_group_invitation', 'revoked'),
            itwin('itwin_owner_member', 'skipped', { skipReason: 'last_owner' }),
            itwin('itwin_group_membership', 'failed', {
              errorCode: 'vendor_rate_limited_for_a_very_long_time',
            }),
          ],
        },
      ],
    });
    let printed = '';
    await runDemo({
      email: 'x@example.com',
      config,
      secretsFile: secrets,
      fetchImpl,
      write: (t) => (printed += t),
    });
    const table = printed.slice(printed.indexOf('itwin, tenant'), printed.indexOf('action(s) failed'));
    const lines = table.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    // GUIDs keep their first and last groups, which tell the demo's iTwins apart; the scope gives
    // up room before the outcome and its reason do.
    expect(table).toContain('iTwin 7c0f0a3e…000000000002 ');
    expect(table).toMatch(/^ {2}owner_member\s+iTwin \S+ .*…\s+skipped\s+last_owner$/m);
    expect(table).toMatch(/^ {2}group_membership\s+.*failed\s+vendor_rate_limited_for_a_very_long_time$/m);
  });

  it('exits 1 when quarantined, naming how to release it', async () => {
    const { fetchImpl } = fakeRuntime({ status: 'quarantined', vendors: [] });
    let printed = '';
    const r = await runDemo({
      email: 'x@example.com',
      config,
      secretsFile: secrets,
      fetchImpl,
      write: (t) => (printed += t),
    });
    expect(r.exitCode).toBe(1);
    expect(printed).toContain('npx leaver release off_demo');
  });

  it('reports a refused webhook and an unreachable runtime as errors', async () => {
    const refused = fakeRuntime({}, { hookStatus: 401 });
    await expect(
      runDemo({
        email: 'x@example.com',
        config,
        secretsFile: secrets,
        fetchImpl: refused.fetchImpl,
        write: () => {},
      }),
    ).rejects.toThrow(/not accepted: HTTP 401/);
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(
      runDemo({ email: 'x@example.com', config, secretsFile: secrets, fetchImpl: down, write: () => {} }),
    ).rejects.toThrow(/is `npm start` running/);
  });
});
