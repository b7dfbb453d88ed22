/**
 * The ways Leaver's DynamoDB adapters call the table, so each store does not restate them: a plain
 * call, a conditional write whose failed condition is an answer (someone else holds it, it changed
 * meanwhile), not an error, and a Query read to its last page. Failures are mapped by toLeaverAwsError: throttling,
 * 5xx and connection failures are `storage_unavailable` (retryable), anything else `internal`.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, toLeaverAwsError } from './aws-errors.ts';

/** Runs a table call; a failure is a LeaverError naming `what` was being done. */
export async function storageCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toLeaverAwsError(e, what, 'storage_unavailable');
  }
}

/**
 * Runs a conditional write: its output, or `undefined` when the condition did not hold. Other
 * failures are thrown as by storageCall.
 */
export async function conditionalWrite<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isConditionalCheckFailed(e)) return undefined;
    throw toLeaverAwsError(e, what, 'storage_unavailable');
  }
}

/**
 * Every item a Query matches, following `LastEvaluatedKey` page by page; `enough` (given the items
 * so far) stops early.
 */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  what: string,
  input: QueryCommandInput,
  enough: (items: readonly Record<string, unknown>[]) => boolean = () => false,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await storageCall(what, () =>
      doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start })),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start && !enough(items));
  return items;
}
