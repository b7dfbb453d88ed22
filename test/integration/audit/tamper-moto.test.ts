/**
 * The tamper matrix (matrix.ts) on moto_server: DynamoDB, a KMS ECC_NIST_P256 signing key, and an
 * S3 bucket with Object Lock in compliance mode, through the same adapters the functions use.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { type Backend, motoBackend } from './harness.ts';
import { tamperMatrix } from './matrix.ts';

const endpoint = inject('motoEndpoint');
let shared: Backend;

beforeAll(async () => {
  shared = await motoBackend(endpoint);
});

afterAll(() => undefined);

describe('tamper matrix on moto_server (KMS key, S3 Object Lock)', () => {
  tamperMatrix(
    () => shared,
    () => motoBackend(endpoint),
  );
});
