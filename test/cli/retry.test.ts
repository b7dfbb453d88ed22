/**
 * The CLI sends a request again only when the answer says it never reached Leaver (a throttled
 * function behind API Gateway, a 429 or 503), never after Leaver's own error; and an offboarding
 * start carries an Idempotency-Key, so a retried start can never create two offboardings.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, isGatewayRefusal } from '../../cli/client.ts';
import { runCli } from './helpers.ts';

type Answer = (res: ServerResponse) => void;
const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that answers the n-th request with answers[n] (the last one from then on). */
async function scripted(answers: Answer[]): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => answers[Math.min(seen.length - 1, answers.length - 1)]!(res));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const gateway500: Answer = (res) => {
  res.writeHead(500, { 'content-type': 'application/json' });
  res.end('{"message":"Internal Server Error"}');
};
const leaver500: Answer = (res) => {
  res.writeHead(500, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ title: 'Internal Server Error', status: 500, code: 'internal', detail: 'x' }));
};
const accepted: Answer = (res) => {
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'off_01M8NX0000000000000000000A',
      email: 'x@example.com',
      status: 'scheduled',
      counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
    }),
  );
};

describe('CLI retries', () => {
  it('a start the gateway refused is sent again with the same Idempotency-Key, and succeeds', async () => {
    const s = await scripted([gateway500, gateway500, accepted]);
    const r = await runCli(['offboard', 'x@example.com', '--reason', 'r', '--json'], {
      LEAVER_URL: s.url,
      LEAVER_TOKEN: 't',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(s.seen).toHaveLength(3);
    const keys = s.seen.map((h) => h['idempotency-key']);
    expect(keys[0]).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it("Leaver's own error (problem+json) is not sent again", async () => {
    const s = await scripted([leaver500, accepted]);
    const r = await runCli(['offboard', 'x@example.com', '--reason', 'r'], {
      LEAVER_URL: s.url,
      LEAVER_TOKEN: 't',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('internal');
    expect(s.seen).toHaveLength(1);
  });

  it('gives up after three more tries, honouring Retry-After', async () => {
    const slept: number[] = [];
    const s = await scripted([
      (res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end('{"message":"Too Many Requests"}');
      },
    ]);
    const client = new ApiClient(s.url, { kind: 'none' }, fetch, {
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    await expect(client.json('GET', '/v1/health')).rejects.toMatchObject({ status: 429 });
    expect(s.seen).toHaveLength(4);
    expect(slept).toEqual([2000, 2000, 2000]);
  });

  it('isGatewayRefusal: 429 and 503 always; 500 and 502 unless Leaver answered them', () => {
    expect(isGatewayRefusal(429, 'application/problem+json')).toBe(true);
    expect(isGatewayRefusal(503, null)).toBe(true);
    expect(isGatewayRefusal(500, 'application/json')).toBe(true);
    expect(isGatewayRefusal(502, null)).toBe(true);
    expect(isGatewayRefusal(500, 'application/problem+json')).toBe(false);
    expect(isGatewayRefusal(400, 'application/json')).toBe(false);
    expect(isGatewayRefusal(404, null)).toBe(false);
  });
});
