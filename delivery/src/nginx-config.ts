/**
 * Renders delivery/nginx/streamloop.conf.template, the edge and API gateway of services mode. Plain
 * replacement of `${NAME}` placeholders (the stack's script may do the same without this module);
 * values are checked first, because a space or `;` in one would rewrite the configuration around it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The template ships inside this package (the edge rules are delivery's); resolved from src/ (tests)
 * and dist/ (built) alike: both sit one level below delivery/.
 */
export const NGINX_TEMPLATE_PATH = fileURLToPath(
  new URL('../nginx/streamloop.conf.template', import.meta.url),
);

export interface NginxConfigVars {
  /** host:port the gateway listens on. */
  LISTEN_ADDRESS: string;
  INGEST_UPSTREAM: string;
  DELIVERY_UPSTREAM: string;
  BEACON_COLLECTOR_UPSTREAM: string;
  ANALYTICS_UPSTREAM: string;
  DASHBOARDS_UPSTREAM: string;
  /** Absolute folder for pid, logs, temp files and the media cache; must exist. */
  NGINX_STATE_DIR: string;
}

const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/;
const SAFE_PATH = /^\/[A-Za-z0-9._\-/+@=,]*$/;
const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

export function renderNginxConfig(
  vars: NginxConfigVars,
  template = readFileSync(NGINX_TEMPLATE_PATH, 'utf8'),
): string {
  for (const [name, value] of Object.entries(vars) as [keyof NginxConfigVars, string][]) {
    const ok =
      name === 'NGINX_STATE_DIR' ? SAFE_PATH.test(value) && path.isAbsolute(value) : HOST_PORT.test(value);
    if (!ok) {
      throw new Error(
        `${name}=${JSON.stringify(value)} is not ${name === 'NGINX_STATE_DIR' ? 'an absolute path of plain characters' : 'host:port'}`,
      );
    }
  }
  const unknown = new Set<string>();
  const rendered = template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = (vars as unknown as Record<string, string | undefined>)[name];
    if (value === undefined) {
      unknown.add(name);
      return whole;
    }
    return value;
  });
  if (unknown.size > 0) throw new Error(`the nginx template needs values for ${[...unknown].join(', ')}`);
  return rendered;
}
