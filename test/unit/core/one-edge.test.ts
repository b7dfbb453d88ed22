/**
 * One validation edge: every edge (an HR webhook, the API's request schemas, command input,
 * configuration) accepts and refuses exactly the same emails, instants and free text, and
 * normalises them alike. Before, a webhook accepted `=1+2@example.com` that the API then refused to
 * look up, and 2027-02-30 was refused by the API but became 2 March through a webhook.
 */
import { describe, expect, it } from 'vitest';
import { ListOffboardingsQuery, StartOffboardingBody } from '../../../lambdas/api/schemas.ts';
import {
  email as commandEmail,
  instant as commandInstant,
  reasonOf,
} from '../../../lambdas/core/command-input.ts';
import { parseConfig } from '../../../lambdas/core/config.ts';
import { getSource } from '../../../lambdas/sources/index.ts';
import { BAD_EMAILS, BAD_INSTANTS, CONTROL_TEXTS, GOOD_EMAILS } from '../../support/edge-cases.ts';
import { raw } from '../sources/helpers.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const standard = getSource('standard');
const okta = getSource('okta');

/** What each edge makes of a value: its normalised form, or `refused`. */
type Verdict = string | 'refused';

const attempt = (fn: () => string | undefined): Verdict => {
  try {
    return fn() ?? 'absent';
  } catch {
    return 'refused';
  }
};

const webhook = (data: Record<string, unknown>) =>
  standard.parse(
    raw({
      sourceId: 'standard',
      headers: { 'webhook-id': 'msg_edge' },
      body: JSON.stringify({ type: 'employee.terminated', data }),
    }),
    NOW,
  )[0]!;

const edges = {
  email: {
    webhook: (v: unknown) => attempt(() => webhook({ email: v }).subject.email),
    'webhook alias': (v: unknown) =>
      attempt(() => webhook({ email: 'someone@example.com', aliases: [v] }).subject.aliases[0]),
    'API body': (v: unknown) => attempt(() => StartOffboardingBody.parse({ email: v, reason: 'x' }).email),
    'API lookup': (v: unknown) => attempt(() => ListOffboardingsQuery.parse({ email: v }).email),
    command: (v: unknown) => attempt(() => commandEmail(v, 'email')),
    configuration: (v: unknown) =>
      attempt(() => parseConfig({ safety: { protectedEmails: [v] } }).safety.protectedEmails[0]),
  },
  instant: {
    webhook: (v: unknown) => attempt(() => webhook({ email: 'a@example.com', effectiveAt: v }).effectiveAt),
    'API body': (v: unknown) =>
      attempt(
        () => StartOffboardingBody.parse({ email: 'a@example.com', effectiveAt: v, reason: 'x' }).effectiveAt,
      ),
    'API query': (v: unknown) => attempt(() => ListOffboardingsQuery.parse({ from: v }).from),
    command: (v: unknown) => attempt(() => commandInstant(v, 'effectiveAt')),
  },
  text: {
    'webhook name': (v: string) => attempt(() => webhook({ email: 'a@example.com', name: v }).subject.name),
    'webhook employee id': (v: string) =>
      attempt(() => webhook({ email: 'a@example.com', employeeId: v }).subject.employeeId),
    'Okta display name': (v: string) =>
      attempt(
        () =>
          okta.parse(
            raw({
              sourceId: 'okta',
              body: JSON.stringify({
                data: {
                  events: [
                    {
                      uuid: 'u-1',
                      eventType: 'user.lifecycle.deactivate',
                      published: '2026-11-23T11:59:00Z',
                      target: [{ type: 'User', alternateId: 'a@example.com', displayName: v }],
                    },
                  ],
                },
              }),
            }),
            NOW,
          )[0]!.subject.name,
      ),
    'API reason': (v: string) =>
      attempt(() => StartOffboardingBody.parse({ email: 'a@example.com', reason: v }).reason),
    'command reason': (v: string) => attempt(() => reasonOf(v)),
    'configuration display name': (v: string) =>
      attempt(
        () =>
          parseConfig({
            tenants: [
              {
                id: 'cm',
                vendor: 'cloudmanager',
                baseUrl: 'https://cloud.mongodb.com',
                secretName: 'leaver/cm',
                orgId: '5f1a0000000000000000c001',
                displayName: v,
              },
            ],
          }).tenants[0]!.displayName,
      ),
  },
};

function verdicts<T>(value: T, of: Record<string, (v: T) => Verdict>): Record<string, Verdict> {
  return Object.fromEntries(Object.entries(of).map(([edge, fn]) => [edge, fn(value)]));
}

const all = (verdict: Verdict, of: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(of).map((edge) => [edge, verdict]));

describe('one email rule at every edge', () => {
  it.each(GOOD_EMAILS)('%j is accepted everywhere as %j', (input, normal) => {
    expect(verdicts(input, edges.email)).toEqual(all(normal, edges.email));
  });

  it.each(BAD_EMAILS.map((v) => [v]))('%j is refused everywhere', (input) => {
    expect(verdicts(input, edges.email)).toEqual(all('refused', edges.email));
  });
});

describe('one instant rule at every edge', () => {
  it.each([
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2026-12-01T09:00:00+01:00', '2026-12-01T08:00:00.000Z'],
  ])('%j is accepted everywhere as %j', (input, normal) => {
    expect(verdicts(input, edges.instant)).toEqual(all(normal, edges.instant));
  });

  it.each(BAD_INSTANTS.map(([v]) => [v]))(
    '%j is refused everywhere (never "now", never rolled over)',
    (input) => {
      expect(verdicts(input, edges.instant)).toEqual(all('refused', edges.instant));
    },
  );
});

describe('one free-text rule at every edge', () => {
  it('ordinary text with accents and emoji is kept everywhere', () => {
    expect(verdicts('Zoë Müller 👋', edges.text)).toEqual(all('Zoë Müller 👋', edges.text));
  });

  it.each(CONTROL_TEXTS.map((v) => [v]))('%j is refused everywhere', (input) => {
    expect(verdicts(input, edges.text)).toEqual(all('refused', edges.text));
  });
});
