import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LeaverStack } from './leaver-stack.ts';
import { loadInfraConfig } from './load-config.ts';
const app = new App();
new LeaverStack(app, 'Leaver', { config: loadInfraConfig('infra/example-config.json'), leaver: { handlersDir: '/work/main/infra/scratch-handlers' } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
