// Closed-loop remediation (issue 10), the pure core: playbooks, the execution reducer, guardrails,
// correlated-failure detection, webhooks (pure part), dry run, reporting aggregates.
export * from './playbook.js';
export * from './run.js';
export * from './reducer.js';
export * from './cycle.js';
export * from './guardrails.js';
export * from './correlation.js';
export * from './webhook.js';
export * from './dryrun.js';
export * from './aggregates.js';
