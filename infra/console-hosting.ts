/**
 * The web console in AWS: its static files in a private S3 bucket, served only through CloudFront
 * (origin access control, HTTPS only, a strict Content-Security-Policy, HSTS and the other security
 * headers on every answer), and `console-config.json` telling the console where the API is and how
 * to sign people in (OpenID Connect, authorization code with PKCE, against the API's JWT
 * authoriser: `api.jwt` names its issuer and audience, `console.clientId` the console's client).
 * The HTTP API answers the console's origin only (CORS).
 *
 * `cdk synth` builds the console with Vite (console/, as `npm run build`); a test can pass a
 * folder of files instead.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type CfnElement,
  type CfnResource,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { CfnApi, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { LeaverConfig } from '../lambdas/core/config.ts';

const CONSOLE_SOURCE = fileURLToPath(new URL('../console/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Headers the console sends to the API (the bearer token, JSON bodies, a start's idempotency key). */
export const CONSOLE_CORS_HEADERS = ['authorization', 'content-type', 'idempotency-key'];
/** Response headers the console reads (a start's Location, paging links, a download's file name). */
export const CONSOLE_CORS_EXPOSED = ['location', 'link', 'x-next-cursor', 'content-disposition'];
/** The wildcard findings of CDK's BucketDeployment role (cdk-nag AwsSolutions-IAM5), each acknowledged by name. */
const BUCKET_DEPLOYMENT_IAM5 = [
  'Action::s3:GetObject*',
  'Action::s3:GetBucket*',
  'Action::s3:List*',
  'Action::s3:DeleteObject*',
  'Action::s3:Abort*',
  'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
  'Resource::*',
];

/** HSTS: two years, subdomains, preload (the HSTS preload list's own requirement). */
export const HSTS_SECONDS = 63_072_000;

export interface LeaverConsoleProps {
  readonly config: LeaverConfig;
  /** The HTTP API the console calls (its JWT authoriser signs people in). */
  readonly api: HttpApi;
  /** A folder of built console files (default: built from console/ by Vite when the stack synthesizes). */
  readonly assetsDir?: string;
  /** The buckets. Default DESTROY for the site (rebuilt on every deploy), RETAIN for the logs. */
  readonly siteRemovalPolicy?: RemovalPolicy;
}

/** The Content-Security-Policy: the console's own files, the API and its identity provider only. */
export function consoleCsp(apiOrigin: string, issuer: string): string {
  const idp = new URL(issuer).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${apiOrigin} ${idp}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    `form-action 'self' ${idp}`,
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ');
}

function viteBuiltSource() {
  return Source.asset(CONSOLE_SOURCE, {
    exclude: ['dist', 'node_modules'],
    bundling: {
      // Never Docker: the console builds with the repository's own Vite, as `npm run build` does.
      image: DockerImage.fromRegistry('none'),
      local: {
        tryBundle(outputDir: string) {
          execFileSync(
            'npx',
            [
              'vite',
              'build',
              '--config',
              'console/vite.config.ts',
              '--outDir',
              outputDir,
              '--emptyOutDir',
              '--logLevel',
              'warn',
            ],
            { cwd: REPO_ROOT, stdio: 'inherit' },
          );
          return true;
        },
      },
    },
  });
}

export class LeaverConsole extends Construct {
  readonly bucket: Bucket;
  readonly logsBucket: Bucket;
  readonly distribution: Distribution;
  readonly responseHeaders: ResponseHeadersPolicy;
  readonly url: string;

  constructor(scope: Construct, id: string, props: LeaverConsoleProps) {
    super(scope, id);
    const { config } = props;
    const c = config.console;
    if (!c.enabled || !c.clientId || config.api.auth !== 'jwt' || !config.api.jwt) {
      throw new Error('the console needs console.enabled, console.clientId and api.auth "jwt" with api.jwt');
    }
    const issuer = config.api.jwt.issuer;
    // S3 server access logs are granted by a bucket policy, not the legacy LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    // Access logs of the site bucket and the distribution. CloudFront's standard logs are written
    // with ACLs, so this bucket (and only this one) keeps object ACLs enabled for its writer.
    this.logsBucket = new Bucket(this, 'LogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the console (the site bucket and CloudFront write their logs here); ' +
        'logging its own access would need yet another bucket, and it holds only logs, no console or offboarding data.',
    });

    this.bucket = new Bucket(this, 'SiteBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: props.siteRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    const apiOrigin = props.api.apiEndpoint;
    // The CSP names API Gateway's domain of this region, not this API's id: the API's CORS names the
    // distribution, so naming the API here would make each depend on the other.
    const stack = Stack.of(this);
    const apiDomains = `https://*.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.responseHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Leaver console: strict CSP, HSTS and the other security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(apiDomains, issuer), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_SECONDS),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=()',
            override: true,
          },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    const custom =
      c.domainName && c.certificateArn
        ? {
            domainNames: [c.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', c.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {};
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Leaver console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeaders,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      ...(c.webAclArn ? { webAclId: c.webAclArn } : {}),
      ...custom,
    });
    if (!c.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only the static console files (no data, no API): every call for data goes to ' +
          'the API, which checks a JWT on every request. A WAF web ACL (CLOUDFRONT scope, us-east-1) can be put ' +
          'in front with console.webAclArn.',
      });
    }
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        "The console is for the company's own IT and audit staff wherever they work; access is decided by the " +
        "company's identity provider at sign-in and by the API's JWT authoriser, not by country.",
    });
    if (!custom.certificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain CloudFront serves its own *.cloudfront.net certificate, whose minimum TLS ' +
          'version cannot be set; set console.domainName and console.certificateArn to get TLSv1.2_2021.',
      });
    }

    this.url = `https://${c.domainName ?? this.distribution.distributionDomainName}`;

    // Only the console's origin may call the API from a browser.
    const origins = [`https://${this.distribution.distributionDomainName}`];
    if (c.domainName) origins.push(`https://${c.domainName}`);
    (props.api.node.defaultChild as CfnApi).corsConfiguration = {
      allowOrigins: origins,
      allowHeaders: CONSOLE_CORS_HEADERS,
      allowMethods: ['GET', 'POST', 'PUT'],
      exposeHeaders: CONSOLE_CORS_EXPOSED,
      maxAge: 600,
      allowCredentials: false,
    };

    const deployment = new BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      sources: [
        props.assetsDir ? Source.asset(props.assetsDir) : viteBuiltSource(),
        Source.jsonData('console-config.json', {
          auth: 'oidc',
          apiUrl: apiOrigin,
          issuer,
          clientId: c.clientId,
          scopes: c.scopes,
        }),
      ],
      // The hashed scripts and styles keep their cache; the page and its configuration are refreshed.
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/console-config.json', '/'],
      prune: true,
      memoryLimit: 256,
    });
    const handler = stack.node.findAll().find((n) => n.node.id.startsWith('Custom::CDKBucketDeployment'));
    // As for Leaver's own functions: the function already references its role (GetAtt), so only
    // the role's policy stays in DependsOn (cfn-lint W3005 reports the other as redundant).
    const handlerFn = handler?.node.defaultChild as CfnResource | undefined;
    const handlerPolicy = deployment.handlerRole.node.tryFindChild('DefaultPolicy')?.node.defaultChild as
      | CfnResource
      | undefined;
    if (handlerFn && handlerPolicy) handlerFn.addOverride('DependsOn', [stack.getLogicalId(handlerPolicy)]);
    for (const target of [deployment.handlerRole, handler].filter((t): t is Construct => t !== undefined)) {
      Validations.of(target).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's BucketDeployment function (runs only at deploy time to copy the console files into the site " +
          'bucket) comes with the basic execution role for its own logs; it handles no offboarding data.',
      });
      const siteObjects = `Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/*`;
      for (const finding of [...BUCKET_DEPLOYMENT_IAM5, siteObjects]) {
        Validations.of(target).acknowledge({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason:
            "CDK's BucketDeployment grants itself object-level s3 actions on the CDK asset bucket and on this " +
            'site bucket only, and CloudFront invalidations (which it creates for this distribution); it runs ' +
            'only at deploy time and is written by aws-cdk-lib, not Leaver.',
        });
      }
      Validations.of(target).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "The runtime of CDK's BucketDeployment function is chosen by aws-cdk-lib (a deploy-time helper, " +
          'updated with the library), not by Leaver.',
      });
    }
  }
}
