/**
 * Bodies over this are refused before hashing (HR payloads are a few KiB; docs/hr-sources.md#common-rules).
 * On its own so the intake can check it before it loads the sources and their input rules (zod).
 */
export const MAX_BODY_BYTES = 64 * 1024;
