/**
 * A Vite plugin that measures the served bundle (every emitted file, gzipped at level 9 as a CDN
 * would serve it), writes the figures to `bundle-size.json` beside the files, and fails the build
 * when they pass the budget.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The console's whole served bundle, gzipped, at most this many bytes. */
export const BUNDLE_BUDGET_BYTES = 200 * 1024;

export interface BundleSize {
  files: Record<string, { bytes: number; gzipBytes: number }>;
  totalBytes: number;
  totalGzipBytes: number;
  budgetGzipBytes: number;
}

export function bundleBudget(budget = BUNDLE_BUDGET_BYTES): Plugin {
  return {
    name: 'leaver-bundle-budget',
    apply: 'build',
    // After Vite's own HTML plugin, so index.html counts too.
    enforce: 'post',
    generateBundle(_options, bundle) {
      const report: BundleSize = { files: {}, totalBytes: 0, totalGzipBytes: 0, budgetGzipBytes: budget };
      for (const [name, out] of Object.entries(bundle)) {
        const content = out.type === 'chunk' ? out.code : out.source;
        const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
        const gzipBytes = gzipSync(bytes, { level: 9 }).length;
        report.files[name] = { bytes: bytes.length, gzipBytes };
        report.totalBytes += bytes.length;
        report.totalGzipBytes += gzipBytes;
      }
      if (report.totalGzipBytes > budget) {
        this.error(
          `the console bundle is ${report.totalGzipBytes} bytes gzipped, over its ${budget}-byte budget`,
        );
      }
      this.emitFile({
        type: 'asset',
        fileName: 'bundle-size.json',
        source: `${JSON.stringify(report, null, 2)}\n`,
      });
      this.info(`bundle: ${report.totalGzipBytes} bytes gzipped (budget ${budget})`);
    },
  };
}
