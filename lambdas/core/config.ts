/**
 * Leaver's configuration: one JSON document validated by this schema. Unknown keys are refused
 * (`strict`) so a typo never silently falls back to a default.
 */
import * as z from 'zod';
import { ConfigInvalidError } from './config-error.ts';
import { emailRule, isEmailAddress, textRule } from './input-rules/index.ts';
import type { VendorId } from './vendor-manifest.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBJECT_ID = /^[a-f0-9]{24}$/;

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes');
const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name');
const objectId = z.string().regex(OBJECT_ID, 'must be a 24-hex ObjectId');
const guid = z.string().regex(GUID, 'must be a GUID');
/** Free text the stack or the console shows (names, audiences, client ids): one line, no control characters. */
const label = (max: number) => textRule({ max, min: 1 });
/** An HTTP header name (RFC 9110 token). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be an HTTP header name');
/** A domain name (subdomains match too); a leading `@` is allowed, as in `@example.com`. */
const domain = z
  .string()
  .trim()
  .regex(
    /^@?(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    'must be a domain name',
  );

/** A client-side token bucket: `perSecond` sustained, `burst` at once. */
const rateLimit = z
  .object({
    perSecond: z.number().positive().max(10_000),
    burst: z.number().int().positive().max(10_000),
  })
  .strict();

const tenantBase = {
  id,
  displayName: label(200).optional(),
  baseUrl: url,
  secretName,
  rateLimit: rateLimit.optional(),
  /** Concurrent requests to this tenant at most. */
  maxConcurrency: z.number().int().min(1).max(256).default(16),
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
};

export const itwinTenantSchema = z
  .object({
    ...tenantBase,
    vendor: z.literal('itwin'),
    /** IMS token endpoint (client credentials, scope itwin-platform). */
    tokenUrl: url,
    scope: z.string().default('itwin-platform'),
    /** Explicit iTwins, or "all" to list every iTwin the service identity can see via `itwinsUrl`. */
    itwinIds: z.union([z.array(guid).min(1), z.literal('all')]),
    /** iTwins API base (GET {itwinsUrl}?$top&$skip), required when itwinIds is "all". */
    itwinsUrl: url.optional(),
  })
  .strict()
  .refine((t) => t.itwinIds !== 'all' || t.itwinsUrl !== undefined, {
    message: 'itwinsUrl is required when itwinIds is "all"',
    path: ['itwinsUrl'],
  });

export const atlasTenantSchema = z
  .object({
    ...tenantBase,
    vendor: z.literal('atlas'),
    /** service_account: OAuth2 client credentials; api_key: HTTP Digest. */
    auth: z.enum(['service_account', 'api_key']).default('service_account'),
    tokenUrl: url.optional(),
    orgId: objectId,
    projectIds: z.array(objectId).default([]),
    teamIds: z.array(objectId).default([]),
  })
  .strict()
  .refine((t) => t.auth !== 'service_account' || t.tokenUrl !== undefined, {
    message: 'tokenUrl is required when auth is "service_account"',
    path: ['tokenUrl'],
  });

export const cloudManagerTenantSchema = z
  .object({
    ...tenantBase,
    vendor: z.literal('cloudmanager'),
    orgId: objectId,
    projectIds: z.array(objectId).default([]),
    teamIds: z.array(objectId).default([]),
  })
  .strict();

export const tenantSchema = z.discriminatedUnion('vendor', [
  itwinTenantSchema,
  atlasTenantSchema,
  cloudManagerTenantSchema,
]);

export const HR_SOURCE_TYPES = ['standard', 'okta', 'bamboohr', 'hibob'] as const;

export const sourceSchema = z
  .object({
    /** The `{source}` path segment of POST /hooks/{source}. */
    id,
    type: z.enum(HR_SOURCE_TYPES),
    enabled: z.boolean().default(true),
    secretName,
    /** Okta: the header carrying the shared secret. */
    headerName: headerName.optional(),
  })
  .strict();

export const safetySchema = z
  .object({
    /** Stops every revocation while true (the DynamoDB flag can also set it). */
    killSwitch: z.boolean().default(false),
    /** Never removed at any vendor (service accounts, break-glass admins). Case-insensitive. */
    protectedEmails: z.array(emailRule).default([]),
    /** Domains whose addresses are never removed, e.g. "apps.imsoidc.bentley.com". */
    protectedDomains: z.array(domain).default([]),
    blastRadius: z
      .object({
        maxOffboardings: z.number().int().positive().default(50),
        windowMinutes: z.number().int().positive().default(60),
        /** Quarantine when an offboarding would remove more than this share of the people seen. */
        maxPercentOfPeople: z.number().positive().max(100).default(20),
      })
      .strict()
      .prefault({}),
    /** A termination effective within this many seconds runs now. */
    graceSeconds: z.number().int().min(0).default(300),
  })
  .strict()
  .prefault({});

export const schedulesSchema = z
  .object({
    dueSweepMinutes: z.number().int().min(1).default(1),
    reconcileMinutes: z.number().int().min(1).default(60),
    reconcileLookbackDays: z.number().int().min(1).max(365).default(30),
    retryMinutes: z.number().int().min(1).default(5),
    /**
     * How often the due sweep starts a pass over the whole offboardings table that does not trust
     * the status index (a few pages per sweep): it finds and repairs offboardings a crash left out
     * of the index. The local runtime also runs one full pass at every start.
     */
    recoveryScanMinutes: z.number().int().min(1).max(10_080).default(60),
    /** A signed audit digest this often while anything was appended (and whenever an offboarding finishes). */
    digestMinutes: z.number().int().min(1).max(60).default(5),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(6),
        baseDelayMinutes: z.number().positive().default(5),
        maxDelayMinutes: z.number().positive().default(360),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const apiSchema = z
  .object({
    /** AWS: IAM (SigV4) by default, or a JWT authoriser. Locally a bearer token is always used. */
    auth: z.enum(['iam', 'jwt']).default('iam'),
    jwt: z
      .object({ issuer: url, audience: z.array(label(200)).min(1) })
      .strict()
      .optional(),
    /** Secret holding `{ "token": "..." }` for the local runtime's bearer auth. */
    localTokenSecretName: secretName.default('leaver/api'),
  })
  .strict()
  .prefault({})
  .refine((a) => a.auth !== 'jwt' || a.jwt !== undefined, {
    message: 'jwt is required when auth is "jwt"',
    path: ['jwt'],
  });

/** What the time-to-revoke figures are held against (the stats route, the console's chart). */
export const reportingSchema = z
  .object({
    /** Every access should end within this many minutes of the effective time. Default 4 hours. */
    timeToRevokeTargetMinutes: z.number().positive().max(10_080).default(240),
  })
  .strict()
  .prefault({});

const OAUTH_SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

/**
 * The web console in AWS: static files in S3 behind CloudFront, signing people in with the
 * company's OpenID Connect provider (authorization code with PKCE) against the API's JWT
 * authoriser, whose issuer and audience are `api.jwt`.
 */
export const consoleSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The console's client id at the identity provider: a public client (no secret), PKCE. */
    clientId: label(200).optional(),
    /**
     * Scopes the console asks for. They must yield an access token the JWT authoriser accepts
     * (its `aud` or `client_id` one of `api.jwt.audience`), e.g. `api://<app id>/Leaver.Access` at
     * Microsoft Entra ID, or a custom authorization server's scope at Okta.
     */
    scopes: z.array(z.string().regex(OAUTH_SCOPE, 'must be an OAuth scope')).min(1).default(['openid']),
    /** A custom domain for the console, with its ACM certificate (in us-east-1). */
    domainName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS name')
      .optional(),
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/,
        'must be an ACM certificate ARN in us-east-1',
      )
      .optional(),
    /** An AWS WAF web ACL (CLOUDFRONT scope, ARN) to put in front of the console. */
    webAclArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/,
        'must be a CLOUDFRONT-scope WAF web ACL ARN',
      )
      .optional(),
  })
  .strict()
  .prefault({})
  .refine((c) => !c.enabled || c.clientId !== undefined, {
    message: 'clientId is required when the console is enabled',
    path: ['clientId'],
  })
  .refine((c) => (c.domainName === undefined) === (c.certificateArn === undefined), {
    message: 'domainName and certificateArn go together',
    path: ['certificateArn'],
  });

/**
 * More addresses of one person, by primary email: `{ "dana@example.com": ["d.leaver@example.org"] }`.
 * Merged with the aliases an HR event or API call names (HR sources such as Okta, BambooHR and HiBob
 * send none). Compared case-insensitively; an address may appear only once in the whole map.
 */
export const aliasesSchema = z
  .record(z.string(), z.array(emailRule).max(20))
  .default({})
  .superRefine((map, ctx) => {
    const seen = new Set<string>();
    for (const [primary, aliases] of Object.entries(map)) {
      if (!isEmailAddress(primary)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be an email address (the primary email)',
          path: [primary],
        });
      }
      [primary, ...aliases].forEach((address, i) => {
        const key = address.trim().toLowerCase();
        if (seen.has(key)) {
          ctx.addIssue({
            code: 'custom',
            message: 'address listed more than once (as a primary email or an alias)',
            path: i === 0 ? [primary] : [primary, i - 1],
          });
        }
        seen.add(key);
      });
    }
  });

export const configSchema = z
  .object({
    tenants: z.array(tenantSchema).default([]),
    sources: z.array(sourceSchema).default([]),
    aliases: aliasesSchema,
    safety: safetySchema,
    schedules: schedulesSchema,
    api: apiSchema,
    worker: z
      .object({
        /** Discovery passes after revoking, to catch what appeared meanwhile. */
        verifyRounds: z.number().int().min(0).max(5).default(3),
        /** Messages the worker function handles at once. */
        batchSize: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .prefault({}),
    notifications: z.object({ slackWebhookUrl: url.optional() }).strict().prefault({}),
    inventory: z
      .object({
        /** Keep the access inventory and revoke its known grants first (false: discover first). */
        enabled: z.boolean().default(true),
        /** A tenant is listed again once its last complete sync is this old. */
        syncMinutes: z.number().int().min(1).max(10_080).default(60),
        /** Share of each tenant's rate budget (rate and burst) the sync may use: never all of it. */
        rateShare: z.number().positive().max(0.9).default(0.5),
        /** Scopes of one tenant (iTwins) listed at once by the sync. */
        scopeConcurrency: z.number().int().min(1).max(64).default(8),
        /**
         * A process's last listing of a tenant is reused this long for an offboarding's first pass
         * (verification always lists again after the run's revocations).
         */
        listingMaxAgeSeconds: z.number().int().min(0).max(3600).default(120),
      })
      .strict()
      .prefault({}),
    reporting: reportingSchema,
    console: consoleSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.console.enabled && c.api.auth !== 'jwt') {
      ctx.addIssue({
        code: 'custom',
        message:
          'the console signs people in with OpenID Connect: it needs api.auth "jwt" (IAM serves the CLI only)',
        path: ['console', 'enabled'],
      });
    }
    const seen = new Set<string>();
    c.tenants.forEach((t, i) => {
      if (seen.has(t.id))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate tenant id "${t.id}"`,
          path: ['tenants', i, 'id'],
        });
      seen.add(t.id);
    });
    const sources = new Set<string>();
    c.sources.forEach((s, i) => {
      if (sources.has(s.id))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate source id "${s.id}"`,
          path: ['sources', i, 'id'],
        });
      sources.add(s.id);
    });
  });

export type LeaverConfig = z.output<typeof configSchema>;
export type LeaverConfigInput = z.input<typeof configSchema>;
export type TenantConfig = z.output<typeof tenantSchema>;
/**
 * Every vendor of the manifest has a tenant schema in `tenantSchema`: a vendor without one makes
 * this declaration fail to compile, naming the vendor.
 */
export const EVERY_VENDOR_HAS_A_TENANT_SCHEMA: [Exclude<VendorId, TenantConfig['vendor']>] extends [never]
  ? true
  : { missing: Exclude<VendorId, TenantConfig['vendor']> } = true;
export type ITwinTenant = z.output<typeof itwinTenantSchema>;
export type AtlasTenant = z.output<typeof atlasTenantSchema>;
export type CloudManagerTenant = z.output<typeof cloudManagerTenantSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type SafetyConfig = z.output<typeof safetySchema>;

export { ConfigInvalidError } from './config-error.ts';

/** Validates a parsed JSON value; on failure, names each field and its rule. */
export function parseConfig(value: unknown): LeaverConfig {
  const result = configSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new ConfigInvalidError(problems);
}
