/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`).
 *
 *   LEAVER_CONFIG       configuration file (default infra/example-config.json)
 *   LEAVER_STACK_NAME   stack name (default Leaver)
 *   LEAVER_ALARM_EMAIL  optional: subscribes this address to the alerts topic
 *   LEAVER_SOURCE_MAPS  optional: `on` turns on Node's source maps in the functions (stack traces
 *                       naming the TypeScript files, 4-8 ms more per cold start)
 *
 * cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigInvalidError } from '../lambdas/core/config.ts';
import { LeaverStack } from './leaver-stack.ts';
import { DEFAULT_INFRA_CONFIG, loadInfraConfig } from './load-config.ts';

function main(): void {
  const configPath = process.env.LEAVER_CONFIG?.trim() || DEFAULT_INFRA_CONFIG;
  let config: ReturnType<typeof loadInfraConfig>;
  try {
    config = loadInfraConfig(configPath);
  } catch (e) {
    if (e instanceof ConfigInvalidError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  const app = new App();
  const alarmEmail = process.env.LEAVER_ALARM_EMAIL?.trim();
  const sourceMaps = process.env.LEAVER_SOURCE_MAPS?.trim().toLowerCase();
  if (sourceMaps && sourceMaps !== 'on' && sourceMaps !== 'off') {
    console.error(`LEAVER_SOURCE_MAPS must be "on" or "off", not "${sourceMaps}"`);
    process.exit(1);
  }
  new LeaverStack(app, process.env.LEAVER_STACK_NAME?.trim() || 'Leaver', {
    config,
    ...(alarmEmail ? { alarmEmail } : {}),
    leaver: { sourceMaps: sourceMaps === 'on' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main();
