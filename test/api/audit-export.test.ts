/** The export formats record by record: CSV cells, OCSF classes and activities for every grant kind. */
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvCell, csvHeader, csvRow, toOcsf } from '../../lambdas/api/audit-export.ts';
import { OcsfEventSchema } from '../../lambdas/api/schemas.ts';
import { type AuditRecord, asGrant, GRANT_KIND_NAMES, type GrantKind } from '../../lambdas/core/model.ts';
import { GRANT_ID_KEYS, vendorOfKind } from '../../lambdas/core/vendor-ids.ts';

function action(
  kind: GrantKind,
  outcome: AuditRecord['outcome'],
  extra: Partial<AuditRecord> = {},
): AuditRecord {
  const vendor = vendorOfKind(kind);
  const id = vendor === 'itwin' ? '7c0f0a3e-0000-4000-8000-000000000001' : '5f1a0000000000000000c001';
  return {
    streamId: 'off_1',
    seq: 7,
    event: 'action_finished',
    at: '2026-05-01T10:00:00.123Z',
    email: 'dana.leaver@example.com',
    actor: 'worker',
    vendor,
    tenantId: `${vendor}-demo`,
    grantKey: `${vendor}:${kind}`,
    grant: asGrant({
      vendor,
      tenantId: `${vendor}-demo`,
      kind,
      email: 'dana.leaver@example.com',
      ids: Object.fromEntries(GRANT_ID_KEYS[kind].map((k) => [k, id])),
      scopeName: 'Scope',
    }),
    outcome,
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    ...extra,
  };
}

describe('OCSF', () => {
  const ACCOUNT_LEVEL = new Set([
    'atlas_org_invitation',
    'atlas_org_user',
    'cloudmanager_org_invitation',
    'cloudmanager_org_user',
  ]);

  it('maps every grant kind: organisation accounts to Account Change Delete, the rest to Revoke Privileges', () => {
    for (const kind of GRANT_KIND_NAMES) {
      const e = OcsfEventSchema.parse(toOcsf(action(kind, 'revoked')));
      if (ACCOUNT_LEVEL.has(kind)) {
        expect(e, kind).toMatchObject({
          class_uid: 3001,
          class_name: 'Account Change',
          activity_id: 6,
          type_uid: 300106,
        });
        expect(e.privileges).toBeUndefined();
      } else {
        expect(e, kind).toMatchObject({
          class_uid: 3005,
          class_name: 'User Access Management',
          activity_id: 2,
          type_uid: 300502,
        });
        expect(e.privileges).toEqual([kind]);
        expect(e.resource?.uid).toBeTruthy();
      }
      expect(e).toMatchObject({
        category_uid: 3,
        time: Date.parse('2026-05-01T10:00:00.123Z'),
        status_id: 1,
        status: 'Success',
        user: { email_addr: 'dana.leaver@example.com' },
        actor: { user: { uid: 'worker' } },
        metadata: { uid: 'off_1:7', correlation_uid: 'off_1', product: { name: 'Leaver' } },
      });
    }
  });

  it('maps outcomes to status ids, with the reason in status_detail', () => {
    expect(toOcsf(action('atlas_org_user', 'already_absent'))).toMatchObject({
      status_id: 1,
      status_detail: 'already_absent',
    });
    expect(toOcsf(action('atlas_org_user', 'failed', { errorCode: 'vendor_forbidden' }))).toMatchObject({
      status_id: 2,
      status: 'Failure',
      status_code: 'vendor_forbidden',
      severity_id: 3,
    });
    expect(toOcsf(action('itwin_owner_member', 'skipped', { skipReason: 'last_owner' }))).toMatchObject({
      status_id: 99,
      status: 'Skipped',
      status_detail: 'skipped: last_owner',
    });
  });

  it('names the principal type of the actor', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/Sec/alice';
    expect(toOcsf(action('atlas_org_user', 'revoked', { actor: arn }))?.actor.user).toEqual({
      uid: arn,
      name: arn,
      type: 'IAM principal',
    });
  });

  it('leaves out lifecycle records (no access changed)', () => {
    for (const event of ['received', 'started', 'finished', 'action_started', 'kill_switch'] as const) {
      expect(toOcsf({ ...action('atlas_org_user', undefined), event })).toBeUndefined();
    }
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and newlines, and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('writes one row per record with every column', () => {
    expect(csvHeader()).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    const row = csvRow(action('cloudmanager_team_user', 'revoked', { durationMs: 12, attempt: 1 }));
    expect(row.endsWith('\r\n')).toBe(true);
    const cells = row.trimEnd().split(',');
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    const get = (c: (typeof CSV_COLUMNS)[number]) => cells[CSV_COLUMNS.indexOf(c)];
    expect(get('kind')).toBe('cloudmanager_team_user');
    expect(get('vendor')).toBe('cloudmanager');
    expect(get('outcome')).toBe('revoked');
    expect(get('durationMs')).toBe('12');
    expect(get('hash')).toBe('b'.repeat(64));
  });
});
