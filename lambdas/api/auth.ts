/**
 * Who is calling. The principal lands in every audit record the call causes.
 *
 * - `aws`: API Gateway has already authorised the call; the principal comes from its context:
 *   IAM (`requestContext.authorizer.iam.userArn`) or JWT (`requestContext.authorizer.jwt.claims.sub`),
 *   as config.api.auth says. A request without that context is refused (it did not come through the
 *   authoriser).
 * - `local`: a bearer token compared in constant time with `{ "token" }` of the secret named by
 *   config.api.localTokenSecretName.
 *
 * Which one applies is an explicit choice of the wiring (never guessed from the request).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';
import type { ApiEnv, ApiRequest } from './request.ts';

export const LOCAL_PRINCIPAL = 'local';

function unauthorized(message = 'Missing or invalid credentials'): LeaverError {
  return new LeaverError('unauthorized', message);
}

/** Constant-time string comparison (both sides hashed first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

interface AuthorizerContext {
  iam?: { userArn?: string; callerId?: string };
  jwt?: { claims?: Record<string, unknown> };
}

export async function authenticate(req: ApiRequest, env: ApiEnv): Promise<string> {
  if (env.auth === 'local') return authenticateLocal(req, env);
  const authorizer = (req.event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  if (env.deps.config.api.auth === 'jwt') {
    const sub = authorizer?.jwt?.claims?.sub;
    if (typeof sub !== 'string' || sub === '') throw unauthorized();
    return sub;
  }
  const arn = authorizer?.iam?.userArn;
  if (typeof arn !== 'string' || arn === '') throw unauthorized();
  return arn;
}

async function authenticateLocal(req: ApiRequest, env: ApiEnv): Promise<string> {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw unauthorized('Missing bearer token');
  if (!env.secrets) throw new LeaverError('internal', 'local auth has no secret store');
  let expected: unknown;
  try {
    expected = (await env.secrets.get<{ token?: unknown }>(env.deps.config.api.localTokenSecretName)).token;
  } catch (e) {
    throw new LeaverError('secret_unavailable', 'The API token secret is unavailable', { cause: e });
  }
  if (typeof expected !== 'string' || expected.length < 8) {
    throw new LeaverError('secret_unavailable', 'The API token secret has no usable token');
  }
  if (!safeEqual(m[1]!, expected)) throw unauthorized();
  return LOCAL_PRINCIPAL;
}
