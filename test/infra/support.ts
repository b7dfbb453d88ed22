/**
 * Builds the Leaver stack for assertion tests: bundling skipped (`aws:cdk:bundling-stacks: []`)
 * and stand-in handler entries (test/infra/fixtures/handlers), so the tests do not depend on the
 * handlers' code; the real synth (`npx cdk synth`, CI) bundles lambdas/handlers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LeaverStack, type LeaverStackProps } from '../../infra/leaver-stack.ts';
import { type LeaverConfig, type LeaverConfigInput, parseConfig } from '../../lambdas/core/config.ts';

export const FIXTURE_HANDLERS = fileURLToPath(new URL('./fixtures/handlers/', import.meta.url));
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../infra/example-config.json', import.meta.url));

/**
 * Timeout of a test that synthesizes a stack or runs cdk-nag or cfn-lint: one synth takes seconds
 * alone and several times that on a loaded two-core machine, beyond vitest's default 30 s.
 */
export const SLOW_TEST_TIMEOUT_MS = 120_000;

export function exampleConfigInput(): LeaverConfigInput {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as LeaverConfigInput;
}

export function exampleConfig(): LeaverConfig {
  return parseConfig(exampleConfigInput());
}

export interface Built {
  app: App;
  stack: LeaverStack;
  template: Template;
  config: LeaverConfig;
}

export function buildStack(
  config: LeaverConfig = exampleConfig(),
  extra: Partial<Omit<LeaverStackProps, 'config'>> = {},
): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new LeaverStack(app, 'Leaver', {
    ...extra,
    config,
    leaver: { handlersDir: FIXTURE_HANDLERS, ...extra.leaver },
  });
  return { app, stack, template: Template.fromStack(stack), config };
}

// ------------------------------------------------------------------ template helpers
export type Json = Record<string, unknown>;
export interface CfnResource {
  Type: string;
  Properties: Json;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
  Condition?: Json;
}

export function resources(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export function only(template: Template, type: string): [string, CfnResource] {
  const found = Object.entries(resources(template, type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The logical id of the single resource of `type` whose logical id contains `part`. */
export function logicalId(template: Template, type: string, part: string): string {
  const ids = Object.keys(resources(template, type)).filter((id) => id.includes(part));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} matching ${part}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** Every statement of the inline policies attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const out: Statement[] = [];
  for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
    const roles = policy.Properties.Roles as Array<{ Ref: string }>;
    if (roles.some((r) => r.Ref === roleId)) {
      out.push(...((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []));
    }
  }
  const role = resources(template, 'AWS::IAM::Role')[roleId];
  for (const p of (role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>) ??
    []) {
    out.push(...p.PolicyDocument.Statement);
  }
  return out;
}

/** Does this (unresolved) CloudFormation value refer to the resource with this logical id? */
export function refersTo(value: unknown, id: string): boolean {
  return JSON.stringify(value).includes(`"${id}"`);
}
