/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`).
 *
 *   LEAVER_CONFIG       configuration file (default infra/example-config.json)
 *   LEAVER_STACK_NAME   stack name (default Leaver)
 *   LEAVER_ALARM_EMAIL  optional: subscribes this address to the alerts topic
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
  new LeaverStack(app, process.env.LEAVER_STACK_NAME?.trim() || 'Leaver', {
    config,
    ...(alarmEmail ? { alarmEmail } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main();
