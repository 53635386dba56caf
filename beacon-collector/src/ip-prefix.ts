/**
 * Client addresses are never stored whole: beacons keep a network prefix (IPv4 /24, IPv6 /48), the
 * usual anonymisation for analytics that still tells regions and networks apart. The rate limiter
 * keys on a wider unit for IPv6 (/64), because one subscriber gets a whole /64 and can rotate
 * addresses inside it at will.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack socket reports) as IPv4. */
function unmapped(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an embedded IPv4 tail counts as two). */
function ipv6Groups(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv6Prefix(ip: string, groups: number): string {
  return `${ipv6Groups(ip)
    .slice(0, groups)
    .map((g) => g.toString(16))
    .join(':')}::`;
}

/** '203.0.113.0' for '203.0.113.77'; '2001:db8:85a3::' for '2001:db8:85a3:8d3:...'; undefined if not an IP. */
export function truncateIp(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const ip = unmapped(raw);
  if (isIPv4(ip)) return ip.replace(/\.\d+$/, '.0');
  if (isIPv6(ip)) return ipv6Prefix(ip, 3);
  return undefined;
}

/** The unit one client is limited as: the whole IPv4 address, or the IPv6 /64. */
export function rateLimitKey(raw: string): string {
  const ip = unmapped(raw);
  return isIPv6(ip) ? ipv6Prefix(ip, 4) : ip;
}
