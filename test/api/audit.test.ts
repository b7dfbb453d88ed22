/**
 * The audit trail through the API: one offboarding's records with the chain verdict (and a broken
 * chain detected), and the export in JSON Lines, CSV and OCSF, paged with cursors and `Link` headers
 * so a large export is a sequence of bounded answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextLink } from '../../cli/client.ts';
import { CSV_COLUMNS } from '../../lambdas/api/audit-export.ts';
import { OcsfEventSchema } from '../../lambdas/api/schemas.ts';
import { verifyChain } from '../../lambdas/core/audit-chain.ts';
import type { AuditRecord } from '../../lambdas/core/model.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { call, callWith, DANA, settle, startRuntime } from './helpers.ts';

let rt: LocalRuntime;
let offboardingId: string;

beforeAll(async () => {
  rt = await startRuntime();
  const res = await call('POST', '/v1/offboardings', { body: { email: DANA, reason: 'audit test' } });
  offboardingId = res.body.id;
  await settle(rt);
});
afterAll(async () => {
  await rt?.close();
});

/** A minimal RFC 4180 parser (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

describe('GET /v1/offboardings/{id}/audit', () => {
  it('returns the records in order with an intact chain', async () => {
    const res = await call('GET', `/v1/offboardings/${offboardingId}/audit`);
    expect(res.status).toBe(200);
    const records = res.body.records as AuditRecord[];
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records[0]!.event).toBe('received');
    expect(records.map((r) => r.event)).toContain('finished');
    expect(res.body.chain).toEqual({ valid: true, records: records.length });
    // The exported records verify on their own: nothing was reshaped.
    expect(verifyChain(records)).toEqual({ ok: true, count: records.length });
  });

  it('pages the records and still verifies the whole chain', async () => {
    const all = (await call('GET', `/v1/offboardings/${offboardingId}/audit`)).body.records as AuditRecord[];
    const seen: AuditRecord[] = [];
    let link: string | undefined = `/v1/offboardings/${offboardingId}/audit?limit=7`;
    let pages = 0;
    while (link) {
      const page = await call('GET', link);
      expect(page.body.records.length).toBeLessThanOrEqual(7);
      expect(page.body.chain.valid).toBe(true);
      seen.push(...page.body.records);
      link = page.body.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(all.length / 7));
    expect(seen).toEqual(all);
  });

  it('reports a broken chain when a stored record was changed', async () => {
    const tampering = {
      ...rt.deps,
      audit: {
        ...rt.deps.audit,
        append: rt.deps.audit.append.bind(rt.deps.audit),
        query: rt.deps.audit.query.bind(rt.deps.audit),
        stream: async (id: string, opts?: { limit?: number; cursor?: string }) => {
          const page = await rt.deps.audit.stream(id, opts);
          return {
            ...page,
            items: page.items.map((r) => (r.seq === 3 ? { ...r, actor: 'someone-else' } : r)),
          };
        },
      },
    };
    const res = await callWith(
      { deps: tampering, auth: 'local', secrets: rt.deps.secrets },
      'GET',
      `/v1/offboardings/${offboardingId}/audit`,
    );
    expect(res.status).toBe(200);
    expect(res.body.chain).toMatchObject({ valid: false, brokenAt: 3 });
    expect(res.body.chain.reason).toContain('hash');
  });
});

describe('GET /v1/audit', () => {
  it('exports JSON Lines by email: the records as stored', async () => {
    const res = await call('GET', `/v1/audit?email=${encodeURIComponent(DANA)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(lines.length).toBe(Number(res.headers['x-record-count']));
    expect(lines.every((r) => r.email === DANA)).toBe(true);
    const stream = lines.filter((r) => r.streamId === offboardingId).sort((a, b) => a.seq - b.seq);
    expect(verifyChain(stream).ok).toBe(true);
    expect(res.headers.link).toBeUndefined();
  });

  it('exports CSV with a header row and one row a record', async () => {
    const res = await call('GET', `/v1/audit?email=${encodeURIComponent(DANA)}&format=csv`);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('.csv');
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.length - 1).toBe(Number(res.headers['x-record-count']));
    for (const row of rows.slice(1)) expect(row).toHaveLength(CSV_COLUMNS.length);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const revoked = rows.filter((r) => r[col('outcome')] === 'revoked');
    expect(revoked.length).toBeGreaterThan(0);
    expect(revoked[0]![col('email')]).toBe(DANA);
    expect(revoked[0]![col('kind')]).toMatch(/_/);
    expect(revoked[0]![col('hash')]).toMatch(/^[0-9a-f]{64}$/);
    // detail is JSON in one (quoted) cell.
    const received = rows.find((r) => r[col('event')] === 'received')!;
    expect(JSON.parse(received[col('detail')]!)).toMatchObject({ reason: 'audit test' });
  });

  it('defuses spreadsheet formulas in CSV cells', async () => {
    await rt.deps.audit.append({
      streamId: 'csv-injection',
      event: 'received',
      at: new Date().toISOString(),
      email: 'formula@example.com',
      actor: '=HYPERLINK("http://evil","x")',
    });
    const res = await call('GET', '/v1/audit?email=formula%40example.com&format=csv');
    const rows = parseCsv(res.text);
    expect(rows[1]![CSV_COLUMNS.indexOf('actor')]).toBe(`'=HYPERLINK("http://evil","x")`);
  });

  it('exports OCSF events: Account Change / User Access Management with the right ids', async () => {
    const res = await call('GET', `/v1/audit?email=${encodeURIComponent(DANA)}&format=ocsf`);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const events = res.text
      .trim()
      .split('\n')
      .map((l) => OcsfEventSchema.parse(JSON.parse(l)));
    const detail = (await call('GET', `/v1/offboardings/${offboardingId}`)).body;
    const actions = detail.vendors.flatMap((v: { actions: unknown[] }) => v.actions) as {
      kind: string;
      outcome: string;
    }[];
    // One event per finished action of the offboarding; lifecycle records are not access changes.
    const ours = events.filter((e) => e.metadata.correlation_uid === offboardingId);
    expect(ours.length).toBeGreaterThanOrEqual(actions.length);
    for (const e of events) {
      expect(e.category_uid).toBe(3);
      expect(e.type_uid).toBe(e.class_uid * 100 + e.activity_id);
      expect(e.user.email_addr).toBe(DANA);
      expect(Number.isInteger(e.time)).toBe(true);
      expect(e.actor.user.uid).toBeTruthy();
    }
    const orgInvite = ours.find(
      (e) => e.unmapped.kind === 'cloudmanager_org_invitation' && e.status_id === 1,
    )!;
    expect(orgInvite).toMatchObject({
      class_uid: 3001,
      activity_id: 6,
      activity_name: 'Delete',
      type_uid: 300106,
    });
    expect(orgInvite.actor.user.uid).toBe('worker');
    const projectInvite = ours.find((e) => e.unmapped.kind === 'cloudmanager_project_invitation')!;
    expect(projectInvite).toMatchObject({ class_uid: 3005, activity_id: 2, type_uid: 300502 });
    expect(projectInvite.privileges).toEqual(['cloudmanager_project_invitation']);
    expect(projectInvite.resource).toMatchObject({ type: 'Cloud Manager project' });
    const skipped = ours.find((e) => e.status_id === 99);
    if (skipped) expect(skipped.status).toBe('Skipped');
    const failed = ours.find((e) => e.status_id === 2);
    if (failed) expect(failed).toMatchObject({ status: 'Failure', severity_id: 3 });
    expect(ours.every((e) => Math.abs(e.time - Date.parse(e.metadata.original_time)) === 0)).toBe(true);
  });

  it('pages a large export with cursors and Link headers; pages concatenate to the whole export', async () => {
    const email = 'bulk@example.com';
    const streams = 5;
    const perStream = 250;
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    // Each stream's records are appended at once, in order: the audit log stores them in a few
    // block items, so the export pages through records inside blocks too.
    await Promise.all(
      Array.from({ length: streams }).flatMap((_, s) =>
        Array.from({ length: perStream }, (_, i) =>
          rt.deps.audit.append({
            streamId: `bulk-${s}`,
            event: 'action_finished',
            at: new Date(t0 + i * 1000 + s).toISOString(),
            email,
            actor: 'worker',
            outcome: 'revoked',
            grant: {
              vendor: 'cloudmanager',
              tenantId: 'cloudmanager-demo',
              kind: 'cloudmanager_org_user',
              email,
              ids: {
                orgId: '5f1a0000000000000000c001',
                userId: `5f1a00000000000000${String(s).padStart(2, '0')}${String(i).padStart(4, '0')}`,
              },
            },
          }),
        ),
      ),
    );
    const total = streams * perStream;
    for (const format of ['jsonl', 'csv', 'ocsf'] as const) {
      let link: string | undefined =
        `/v1/audit?email=${encodeURIComponent(email)}&format=${format}&limit=500`;
      let text = '';
      let pages = 0;
      let count = 0;
      while (link) {
        const res = await call('GET', link);
        expect(res.status).toBe(200);
        count += Number(res.headers['x-record-count']);
        expect(Number(res.headers['x-record-count'])).toBeLessThanOrEqual(500);
        text += res.text;
        link = nextLink(res.headers.link ?? null);
        if (link) expect(res.headers['x-next-cursor']).toBeTruthy();
        pages++;
      }
      expect(count).toBe(total);
      expect(pages).toBeGreaterThanOrEqual(3);
      if (format === 'csv') {
        const rows = parseCsv(text);
        expect(rows[0]).toEqual([...CSV_COLUMNS]);
        expect(rows.filter((r) => r[0] === 'streamId')).toHaveLength(1);
        expect(rows.length - 1).toBe(total);
      } else {
        const lines = text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(lines).toHaveLength(total);
        const keys = new Set(
          lines.map((l: { streamId?: string; seq?: number; metadata?: { uid: string } }) =>
            format === 'ocsf' ? l.metadata!.uid : `${l.streamId}:${l.seq}`,
          ),
        );
        expect(keys.size).toBe(total);
        if (format === 'jsonl') {
          for (let s = 0; s < streams; s++) {
            const stream = lines
              .filter((l: AuditRecord) => l.streamId === `bulk-${s}`)
              .sort((a: AuditRecord, b: AuditRecord) => a.seq - b.seq);
            expect(verifyChain(stream).ok).toBe(true);
          }
        }
      }
    }
  });

  it('exports 100,000 records in bounded pages by following the cursors (each answer far below 6 MB)', async () => {
    const total = 100_000;
    const at0 = Date.parse('2026-04-01T00:00:00Z');
    const record = (i: number): AuditRecord => ({
      streamId: `off_${Math.floor(i / 40)}`,
      seq: (i % 40) + 1,
      event: 'action_finished',
      at: new Date(at0 + i).toISOString(),
      email: 'mass-layoff@example.com',
      actor: 'worker',
      outcome: 'revoked',
      grant: {
        vendor: 'atlas',
        tenantId: 'atlas-demo',
        kind: 'atlas_project_user',
        email: 'mass-layoff@example.com',
        ids: { groupId: '6a1b0000000000000000a101', userId: i.toString(16).padStart(24, '0') },
        scopeName: 'project Production',
      },
      prevHash: '0'.repeat(64),
      hash: 'f'.repeat(64),
    });
    // A store with 100,000 records whose cursor is an offset (the API wraps it, opaque to callers).
    const audit = {
      ...rt.deps.audit,
      query: async (q: { limit?: number; cursor?: string }) => {
        const start = q.cursor ? Number(q.cursor) : 0;
        const end = Math.min(total, start + (q.limit ?? 100));
        const items = Array.from({ length: end - start }, (_, k) => record(start + k));
        return end < total ? { items, cursor: String(end) } : { items };
      },
    };
    const deps = { ...rt.deps, audit };
    for (const format of ['csv', 'ocsf'] as const) {
      let link: string | undefined = `/v1/audit?email=mass-layoff%40example.com&format=${format}&limit=1000`;
      let count = 0;
      let pages = 0;
      let largest = 0;
      while (link) {
        const res = await callWith({ deps, auth: 'local', secrets: rt.deps.secrets }, 'GET', link);
        expect(res.status).toBe(200);
        count += Number(res.headers['x-record-count']);
        largest = Math.max(largest, Buffer.byteLength(res.text));
        link = nextLink(res.headers.link ?? null);
        pages++;
      }
      expect(count).toBe(total);
      expect(pages).toBe(100);
      expect(largest).toBeLessThan(6 * 1024 * 1024);
    }
  });

  it('exports by time window (from/to) without an email', async () => {
    const from = '2026-03-01T00:00:00Z';
    const to = '2026-03-01T00:00:09.999Z';
    const res = await call('GET', `/v1/audit?from=${from}&to=${to}&limit=1000`);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(lines.length).toBe(5 * 10);
    for (const r of lines) {
      expect(r.at >= '2026-03-01T00:00:00.000Z' && r.at <= '2026-03-01T00:00:09.999Z').toBe(true);
    }
  });

  it('refuses a cursor of another export', async () => {
    const first = await call('GET', `/v1/audit?email=bulk%40example.com&limit=10`);
    const cursor = first.headers['x-next-cursor'];
    expect(cursor).toBeTruthy();
    const res = await call('GET', `/v1/audit?email=${encodeURIComponent(DANA)}&cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
  });
});
