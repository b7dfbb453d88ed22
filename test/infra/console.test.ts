/**
 * The web console's hosting (console.enabled with api.auth "jwt"): a private bucket behind
 * CloudFront with origin access control, HTTPS only, the security headers (strict CSP, HSTS...),
 * logs, the console's configuration, the API's CORS for the console's origin only and its JWT
 * authoriser; clean under cdk-nag and cfn-lint. The built files are a fixture folder here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { HSTS_SECONDS } from '../../infra/console-hosting.ts';
import { ConfigInvalidError, type LeaverConfigInput, parseConfig } from '../../lambdas/core/config.ts';
import { buildStack, type Json, only, resources, SLOW_TEST_TIMEOUT_MS } from './support.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/console/', import.meta.url));
const CONFIG_PATH = fileURLToPath(new URL('../../infra/example-config-console.json', import.meta.url));
const input = () => JSON.parse(readFileSync(CONFIG_PATH, 'utf8')) as LeaverConfigInput;
const built = buildStack(parseConfig(input()), { leaver: { consoleAssetsDir: FIXTURE } });
const { template } = built;
const json = JSON.stringify(template.toJSON());

describe('console hosting', () => {
  it('keeps the files in a private, encrypted, TLS-only, logged bucket', () => {
    const buckets = resources(template, 'AWS::S3::Bucket');
    const [siteId, site] = Object.entries(buckets).find(([id]) => id.includes('SiteBucket'))!;
    expect(site.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(site.Properties.BucketEncryption)).toContain('AES256');
    expect(site.Properties.LoggingConfiguration).toBeDefined();
    const policies = Object.values(resources(template, 'AWS::S3::BucketPolicy')).filter((p) =>
      JSON.stringify(p.Properties.Bucket).includes(siteId),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Json[] }).Statement,
    );
    // TLS only
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // Only CloudFront, and only for this distribution (origin access control)
    const read = statements.find((s) => JSON.stringify(s.Principal).includes('cloudfront.amazonaws.com'))!;
    expect(read.Effect).toBe('Allow');
    expect(read.Action).toBe('s3:GetObject');
    expect(JSON.stringify(read.Condition)).toContain('AWS:SourceArn');
    expect(JSON.stringify(read.Condition)).toContain('Distribution');
  });

  it('serves through CloudFront with origin access control, HTTPS only, logging, no legacy OAI', () => {
    const [, oac] = only(template, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const [, dist] = only(template, 'AWS::CloudFront::Distribution');
    const cfg = dist.Properties.DistributionConfig as Json;
    const behavior = cfg.DefaultCacheBehavior as Json;
    expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(behavior.ResponseHeadersPolicyId).toBeDefined();
    expect(cfg.DefaultRootObject).toBe('index.html');
    expect(cfg.Logging).toBeDefined();
    const origin = (cfg.Origins as Json[])[0]!;
    expect(origin.OriginAccessControlId).toBeDefined();
    expect((origin.S3OriginConfig as Json).OriginAccessIdentity).toBe('');
    expect(resources(template, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual({});
  });

  it('answers with a strict Content-Security-Policy, HSTS and the other security headers', () => {
    const [, policy] = only(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const sec = (policy.Properties.ResponseHeadersPolicyConfig as Json).SecurityHeadersConfig as Json;
    const csp = JSON.stringify((sec.ContentSecurityPolicy as Json).ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    // the identity provider (issuer's origin) and API Gateway of this region, nothing else
    expect(csp).toContain('https://example.okta.com');
    expect(csp).toContain('execute-api');
    expect(sec.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: HSTS_SECONDS,
      IncludeSubdomains: true,
      Preload: true,
      Override: true,
    });
    expect(sec.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(sec.ContentTypeOptions).toMatchObject({ Override: true });
    expect(sec.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
  });

  it('deploys the files with the console configuration and refreshes the page at CloudFront', () => {
    const [, deployment] = only(template, 'Custom::CDKBucketDeployment');
    expect(deployment.Properties.DistributionPaths).toEqual(['/index.html', '/console-config.json', '/']);
    expect((deployment.Properties.SourceObjectKeys as unknown[]).length).toBe(2);
    // console-config.json names the API URL, filled in at deploy time
    expect(deployment.Properties.SourceMarkers).toEqual([
      {},
      { '<<marker:0xbaba:0>>': { 'Fn::GetAtt': [expect.stringContaining('HttpApi'), 'ApiEndpoint'] } },
    ]);
    // ...and the OpenID Connect settings from the configuration (the staged file of that source)
    const key = String((deployment.Properties.SourceObjectKeys as string[])[1]).replace(/\.zip$/, '');
    const staged = JSON.parse(
      readFileSync(join(built.app.outdir, `asset.${key}`, 'console-config.json'), 'utf8'),
    );
    expect(staged).toEqual({
      auth: 'oidc',
      apiUrl: '<<marker:0xbaba:0>>',
      issuer: 'https://example.okta.com/oauth2/aus1leaver0example',
      clientId: '0oa1leaverconsole0example',
      scopes: ['openid', 'profile', 'email', 'leaver.api'],
    });
  });

  it('lets only the console origin call the API from a browser, and the API checks the JWT', () => {
    const [, api] = only(template, 'AWS::ApiGatewayV2::Api');
    const cors = api.Properties.CorsConfiguration as Json;
    expect(JSON.stringify(cors.AllowOrigins)).toContain('DomainName');
    expect(JSON.stringify(cors.AllowOrigins)).not.toContain('*');
    expect(cors.AllowHeaders).toEqual(['authorization', 'content-type', 'idempotency-key']);
    expect(cors.AllowCredentials).toBe(false);
    const [, authorizer] = only(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Issuer: 'https://example.okta.com/oauth2/aus1leaver0example',
        Audience: ['api://leaver'],
      },
    });
    const outputs = template.toJSON().Outputs as Json;
    expect(outputs.ConsoleUrl).toBeDefined();
  });

  it('is absent unless enabled', () => {
    const plain = buildStack();
    expect(resources(plain.template, 'AWS::CloudFront::Distribution')).toEqual({});
    // The only buckets left are the audit digests' (and their access logs): none is the console's.
    const buckets = Object.keys(resources(plain.template, 'AWS::S3::Bucket'));
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.filter((id) => !id.includes('AuditDigests'))).toEqual([]);
    expect(
      (only(plain.template, 'AWS::ApiGatewayV2::Api')[1].Properties as Json).CorsConfiguration,
    ).toBeUndefined();
  });

  it('refuses a console without OpenID Connect: the IAM auth mode serves the CLI only', () => {
    const iam = input();
    iam.api = { auth: 'iam' };
    expect(() => parseConfig(iam)).toThrow(ConfigInvalidError);
    expect(() => parseConfig(iam)).toThrow(/console\.enabled: .*api\.auth "jwt".*IAM serves the CLI only/);
    const noClient = input();
    delete (noClient.console as { clientId?: string }).clientId;
    expect(() => parseConfig(noClient)).toThrow(/console\.clientId: clientId is required/);
  });

  it('has no unacknowledged cdk-nag finding', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
    const report = new AwsSolutionsChecks().validateScope(built.stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('passes cfn-lint with no errors and no warnings', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaver-cfn-lint-console-'));
    const file = join(dir, 'Leaver.template.json');
    writeFileSync(file, json);
    const r = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
