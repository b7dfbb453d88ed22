import pkg from '../../package.json' with { type: 'json' };

/**
 * The version `/v1/health` and the OpenAPI document report: the package's own, so what answers is
 * what was released (a hand-written copy had drifted to 1.0.0 while the package said 0.1.0).
 */
export const API_VERSION: string = pkg.version;
