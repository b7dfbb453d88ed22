// Stand-in entry for the infra tests (bundling is skipped there; the real synth bundles lambdas/handlers).
export const handler = async (): Promise<void> => {};
