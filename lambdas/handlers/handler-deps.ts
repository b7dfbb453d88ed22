import type { EngineDeps } from '../core/deps.ts';
import type { DeadLetterQueue, SecretStore } from '../core/ports.ts';

/**
 * What handlers need: the engine's dependencies plus the secret store (intake verifies with it) and,
 * where the process may inspect it (the API), the work queue's dead-letter queue.
 */
export type HandlerDeps = EngineDeps & { secrets: SecretStore; deadLetters?: DeadLetterQueue };
