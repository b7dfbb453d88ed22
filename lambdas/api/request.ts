/**
 * What the router and its routes share: the decoded request, the environment a call runs in, and
 * the shape of a route. Kept apart from the router so that auth.ts (which reads the request and the
 * environment) and the router (which calls auth) do not import each other.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { EngineDeps } from '../core/deps.ts';
import type { DeadLetterQueue, SecretStore } from '../core/ports.ts';
import type { HttpResult } from './http-response.ts';

/** How callers authenticate: API Gateway's authoriser in AWS, a bearer token locally. */
export type AuthMode = 'aws' | 'local';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface ResponseSpec {
  description: string;
  /** Media type -> schema of the body. Absent for an empty body. */
  content?: Record<string, z.ZodType>;
  headers?: Record<string, { description: string }>;
}

/** What a route gets: validated inputs, the caller's principal and the environment. */
export interface Call<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: string;
  env: ApiEnv;
  request: ApiRequest;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** OpenAPI path template under the API root, e.g. `/v1/offboardings/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** No authentication (health, the OpenAPI document). */
  public?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** The body may be left out (it is then validated as `{}`). */
  bodyOptional?: boolean;
  /** Successful answers by status. */
  responses: Record<number, ResponseSpec>;
  /** Problem (4xx/5xx) statuses this route documents besides the common ones. */
  errors: number[];
  handle(call: Call<z.output<P>, z.output<Q>, z.output<B>>): Promise<HttpResult>;
}

// biome-ignore lint/suspicious/noExplicitAny: the route table holds routes of every input type.
export type AnyRoute = RouteSpec<any, any, any>;

/** The request as the router sees it (decoded from an API Gateway v2 event). */
export interface ApiRequest {
  method: string;
  /** Path without the stage, e.g. `/v1/offboardings/abc`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string | undefined;
  requestId: string;
  event: APIGatewayProxyEventV2;
}

export interface ApiEnv {
  deps: EngineDeps;
  auth: AuthMode;
  /** Needed for local bearer-token auth (the token is a secret named by config.api). */
  secrets?: SecretStore;
  /** The work queue's dead-letter queue (the dead-letter routes); absent where none is wired. */
  deadLetters?: DeadLetterQueue;
  version: string;
  /** Epoch ms by which vendor calls made inside the request must end. */
  deadline: number;
  /** The route table (the OpenAPI route reads it). */
  routes: readonly AnyRoute[];
}
