/**
 * The adapters implementing core's ports that a Lambda may use. The local runtime's own parts
 * (dynalite, the in-process queue, file secrets, table creation) live in local/adapters/ and are
 * never bundled into a Lambda.
 */
export {
  awsErrorName,
  isConditionalCheckFailed,
  isTransientAwsError,
  toLeaverAwsError,
} from './aws-errors.ts';
export { DynamoAuditLog, type DynamoAuditLogOptions } from './dynamo-audit-log.ts';
export { DIGEST_STATE_KEY, DynamoDigestState, type DynamoDigestStateOptions } from './dynamo-digest-state.ts';
export { DynamoInventoryStore, type DynamoInventoryStoreOptions } from './dynamo-inventory-store.ts';
export { DynamoLockStore, type DynamoLockStoreOptions } from './dynamo-lock-store.ts';
export { DynamoOffboardingStore, type DynamoOffboardingStoreOptions } from './dynamo-offboarding-store.ts';
export { DynamoRateBudget, type DynamoRateBudgetOptions } from './dynamo-rate-budget.ts';
export { FolderDigestArchive } from './folder-digest-archive.ts';
export { OFFBOARDING_ID_PATTERN, UlidIds, type UlidIdsOptions } from './ids.ts';
export { KeyPairDigestSigner, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './key-pair-digest-signer.ts';
export { KmsDigestSigner, type KmsDigestSignerOptions } from './kms-digest-signer.ts';
export { LogNotifier, type LogNotifierOptions } from './log-notifier.ts';
export { MemoryDigestArchive } from './memory-digest-archive.ts';
export { S3DigestArchive, type S3DigestArchiveOptions } from './s3-digest-archive.ts';
export { SecretsManagerStore, type SecretsManagerStoreOptions } from './secrets-manager-store.ts';
export { SnsNotifier, type SnsNotifierOptions } from './sns-notifier.ts';
export { SqsDeadLetterQueue, type SqsDeadLetterQueueOptions } from './sqs-dead-letter-queue.ts';
export {
  type JobMessage,
  MAX_DELAY_SECONDS,
  parseJobMessage,
  SqsJobQueue,
  type SqsJobQueueOptions,
} from './sqs-job-queue.ts';
export { ManualClock, SystemClock, systemClock } from './system-clock.ts';
export { AUDIT, INVENTORY, OFFBOARDINGS } from './tables.ts';
