/** Signed Standard Webhooks as API Gateway HTTP API (payload v2) events for the intake handler. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { apiGatewayEvent } from '../../local/api-gateway-event.ts';

export const BENCH_WEBHOOK_SECRET = 'whsec_QmVuY2hXZWJob29rU2VjcmV0S2V5MDAwMQ==';
export const STANDARD_SOURCE = {
  id: 'standard',
  type: 'standard' as const,
  secretName: 'bench/hooks/standard',
};

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
  return apiGatewayEvent({
    method: 'POST',
    url: '/hooks/standard',
    ...signedTermination(email, id),
    routeKey: 'POST /hooks/{source}',
    pathParameters: { source: 'standard' },
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
