/**
 * Imported first by the bench and chaos entry points: quiet Powertools logs (a log line per webhook
 * would measure the terminal, not Leaver) and a fixed region. Must not import anything that builds
 * a logger, since ESM evaluates this module before the ones imported after it.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_SERVICE_NAME ??= 'leaver';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

export {};
