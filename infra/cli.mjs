#!/usr/bin/env node
// npm run infra:up | infra:down | infra:status | node infra/cli.mjs env
import { down, serviceEnv, status, up } from './services.mjs';

const [command = 'status', ...names] = process.argv.slice(2);
const only = names.length > 0 ? names : undefined;

try {
  if (command === 'up') {
    await up({ only });
    console.log('\nPoint streamloop at them with:');
    for (const [k, v] of Object.entries(serviceEnv())) console.log(`  export ${k}=${v}`);
  } else if (command === 'down') {
    await down(only);
  } else if (command === 'status') {
    for (const [what, state] of await status()) console.log(`${state.padEnd(9)} ${what}`);
  } else if (command === 'env') {
    for (const [k, v] of Object.entries(serviceEnv())) console.log(`${k}=${v}`);
  } else {
    console.error(`unknown command '${command}': use up, down, status or env`);
    process.exit(2);
  }
} catch (err) {
  console.error(`[infra] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
