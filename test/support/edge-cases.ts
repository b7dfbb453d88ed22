/**
 * Inputs every edge (HR payloads, the API, command input, configuration) must treat alike: the
 * tests of each edge and the cross-edge test use these same lists.
 */

/** Addresses every edge must accept, and their normalised form. */
export const GOOD_EMAILS: [string, string][] = [
  ['dana.leaver@example.com', 'dana.leaver@example.com'],
  ['Dana.Leaver+offboarding@Example.COM', 'dana.leaver+offboarding@example.com'],
  ['  padded@example.com  ', 'padded@example.com'],
  ["o'brien@example.ie", "o'brien@example.ie"],
  ['=1+2@example.com', '=1+2@example.com'],
  ['first_last-2@sub.mail.example.co.uk', 'first_last-2@sub.mail.example.co.uk'],
  ['svc@apps.imsoidc.bentley.com', 'svc@apps.imsoidc.bentley.com'],
  ['user@example.xn--p1ai', 'user@example.xn--p1ai'],
];

/** Values every edge must refuse as an email. */
export const BAD_EMAILS: unknown[] = [
  'not-an-email',
  'a@b',
  'dana@@example.com',
  'a..b@example.com',
  '.dana@example.com',
  'dana.@example.com',
  'dana leaver@example.com',
  '"dana"@example.com',
  'dana@[192.0.2.1]',
  'dana@-example.com',
  'dana@example-.com',
  'dana@example.c0m',
  'josé@example.com',
  'dana\u001b[2J@example.com',
  'dana@example.com\nBcc: x@example.com',
  `${'x'.repeat(65)}@example.com`,
  `a@${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.com`,
  42,
];

/** Effective times every edge must refuse, each with the rule it breaks. */
export const BAD_INSTANTS: [unknown, RegExp][] = [
  ['', /must not be empty/],
  ['2027-02-30', /not a calendar date/],
  ['2027-02-30T09:00:00Z', /not a calendar date/],
  ['2026-04-31', /not a calendar date/],
  ['2026-12-01T24:00:00Z', /not a time of day/],
  ['2026-12-01T09:00:00', /ISO-8601/],
  ['tomorrow', /ISO-8601/],
  [20261201, /ISO-8601/],
];

/** Free text every edge must refuse: one of each kind of control character, inside the text (trimming does not remove it). */
export const CONTROL_TEXTS: string[] = [
  'left\u001b[2J',
  'left\nstatus completed',
  'left\rearly',
  'left\tearly',
  'left\u0000early',
  'left\u007fearly',
  'left\u009b31m',
  'left\u2028early',
];
