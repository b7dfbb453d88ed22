/** Signed Standard Webhooks as API Gateway HTTP API (payload v2) events for the intake handler. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';

export const BENCH_WEBHOOK_SECRET = 'whsec_QmVuY2hXZWJob29rU2VjcmV0S2V5MDAwMQ==';
export const STANDARD_SOURCE = {
  id: 'standard',
  type: 'standard' as const,
  secretName: 'bench/hooks/standard',
};

export function apiEvent(opts: {
  source: string;
  headers: Record<string, string>;
  body: string | undefined;
  method?: string;
  isBase64Encoded?: boolean;
}): APIGatewayProxyEventV2 {
  const method = opts.method ?? 'POST';
  const path = `/hooks/${opts.source}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${method} /hooks/{source}`,
    rawPath: path,
    rawQueryString: '',
    headers: opts.headers,
    pathParameters: { source: opts.source },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.example',
      domainPrefix: 'bench',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: `${method} /hooks/{source}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
    isBase64Encoded: opts.isBase64Encoded ?? false,
  };
}

const signer = new Webhook(BENCH_WEBHOOK_SECRET);

/**
 * The headers and body of a signed `employee.terminated` webhook for `email`, effective now, as an
 * HR system sends it over HTTP. A retry of the same delivery keeps its `id` and signs a new time.
 */
export function signedTermination(
  email: string,
  id = `msg_${randomUUID()}`,
  at = new Date(),
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: 'employee.terminated', data: { email } });
  return {
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, body),
    },
    body,
  };
}

/** A signed `employee.terminated` webhook for `email`, effective now. */
export function terminationEvent(email: string, id = `msg_${randomUUID()}`): APIGatewayProxyEventV2 {
  return apiEvent({ source: 'standard', ...signedTermination(email, id) });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
