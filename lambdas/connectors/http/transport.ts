/** The default transport: undici 7's fetch on one Agent (a keep-alive pool per origin). */
import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from './types.ts';

let agent: Agent | undefined;

function sharedAgent(): Agent {
  agent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 64 });
  return agent;
}

export const undiciTransport: FetchLike = (url, init) =>
  undiciFetch(url, { ...init, dispatcher: sharedAgent() });
