/**
 * A webhook whose source secret is not configured yet (missing in Secrets Manager, still the
 * placeholder a first deploy creates, or of the wrong shape) against moto_server: the intake
 * answers 503 problem+json with Retry-After, stores and enqueues nothing, counts the metrics the
 * alarms read, and accepts the sender's retry once the operator has put the real value.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { resetConfigCache } from '../../../lambdas/handlers/config-loader.ts';
import { handler } from '../../../lambdas/handlers/intake.ts';
import { UNCONFIGURED_RETRY_AFTER_SECONDS } from '../../../lambdas/handlers/source-secret.ts';
import { setDeps } from '../../../lambdas/handlers/wiring.ts';
import {
  answer,
  applyEnv,
  captureOutput,
  type HookRequest,
  hookEvent,
  lambdaContext,
  type MotoEnv,
  STANDARD_SECRET,
  setupMoto,
  standardHook,
  terminationBody,
} from './support.ts';

const endpoint = inject('motoEndpoint');
/** The value CloudFormation generates for every secret of the stack (generateSecretString). */
const PLACEHOLDER = { placeholder: true, unset: 'Zq8vN2kYp4LxR7tW1sB9cD3fG6hJ0mA5' };
let moto: MotoEnv;
let store: DynamoOffboardingStore;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  moto = await setupMoto(
    endpoint,
    { 'hooks/placeholder': PLACEHOLDER, 'hooks/malformed': { secret: '' } },
    (prefix) => ({
      sources: [
        { id: 'standard', type: 'standard', secretName: `${prefix}/hooks/placeholder` },
        { id: 'malformed', type: 'standard', secretName: `${prefix}/hooks/malformed` },
        { id: 'missing', type: 'standard', secretName: `${prefix}/hooks/never-created` },
      ],
    }),
  );
  applyEnv(moto.env);
  resetConfigCache();
  setDeps(undefined); // the real adapters, built from the Lambda environment as in AWS
  store = new DynamoOffboardingStore({ client: moto.dynamo, tableName: moto.tables.offboardingsTable });
});

afterAll(() => moto.close());

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

async function call(req: HookRequest) {
  return answer(await handler(hookEvent(req), lambdaContext('leaver-intake')));
}

/** The EMF documents written so far that carry `metric`. */
function emfWith(metric: string): Array<Record<string, unknown>> {
  return output
    .text()
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((d) => metric in d);
}

describe.each([
  ['the placeholder a first deploy creates', 'standard', 'placeholder'],
  ['a value of the wrong shape', 'malformed', 'malformed'],
  ['a secret that does not exist', 'missing', 'unreadable'],
])('a source whose secret is %s', (_what, source, reason) => {
  it('answers 503 problem+json with Retry-After, and stores and enqueues nothing', async () => {
    const email = `unconfigured.${source}@example.com`;
    const res = await call({ ...standardHook(terminationBody(email)), source });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe(String(UNCONFIGURED_RETRY_AFTER_SECONDS));
    expect(res.json).toMatchObject({ status: 503, code: 'secret_unavailable' });
    // Says nothing about our secrets to a public caller.
    expect(res.body).not.toContain(moto.prefix);
    expect(res.body).not.toContain(reason);
    expect((await store.query({ email })).items).toEqual([]);
    expect(await moto.receiveIds()).toEqual([]);
  });

  it('counts SourceSecretUnavailable and IntakeServerErrors (the alarms read them), and logs why', async () => {
    await call({ ...standardHook(terminationBody(`counted.${source}@example.com`)), source });
    // Exactly the dimensions the alarms read: `service` alone (a metric is its full dimension set).
    for (const metric of ['SourceSecretUnavailable', 'IntakeServerErrors']) {
      const docs = emfWith(metric);
      expect(docs, metric).toHaveLength(1);
      const emf = (docs[0]!._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> })
        .CloudWatchMetrics;
      expect(emf[0]!.Dimensions).toEqual([['service']]);
      expect(docs[0]!.service).toBe('leaver');
      expect(docs[0]![metric]).toBe(1);
    }
    const text = output.text();
    expect(text).toContain('the source secret is not configured');
    expect(text).toContain(`"reason":"${reason}"`);
    expect(text).not.toContain(PLACEHOLDER.unset);
  });
});

describe('once the operator puts the real value', () => {
  it("the sender's retry of the same event is accepted at once (the placeholder was not cached)", async () => {
    const email = 'retried.after.fix@example.com';
    const req = standardHook(terminationBody(email), { id: 'msg_retry_after_fix' });
    const first = await call(req);
    expect(first.statusCode).toBe(503);
    await moto.secretsClient.send(
      new PutSecretValueCommand({
        SecretId: `${moto.prefix}/hooks/placeholder`,
        SecretString: JSON.stringify({ secret: STANDARD_SECRET }),
      }),
    );
    const retry = await call(req);
    expect(retry.statusCode).toBe(202);
    const id = retry.json.offboardingId as string;
    expect((await store.get(id))?.subject.email).toBe(email);
    expect(await moto.receiveIds()).toEqual([id]);
    expect(emfWith('IntakeServerErrors')).toHaveLength(1); // the first answer only
  });
});
