// CSRF defence for the queue UI's write endpoints. Browsers attach Basic credentials to any request
// to a host they have logged in to, including one a hostile page makes; they do NOT let that page
// forge Origin, Referer or Sec-Fetch-Site. So a state-changing request is accepted only when the
// browser says it comes from our own origin (or it carries a bearer token, which browsers never
// attach by themselves).
import type { IncomingHttpHeaders } from 'node:http';

export type SameOriginVerdict = { ok: true; via: string } | { ok: false; reason: string };

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function checkSameOrigin(headers: IncomingHttpHeaders, publicUrl?: string): SameOriginVerdict {
  const host = first(headers.host)?.toLowerCase();
  const allowedHosts = new Set<string>();
  if (host) allowedHosts.add(host);
  const publicHost = publicUrl ? hostOf(publicUrl) : null;
  if (publicHost) allowedHosts.add(publicHost);

  const fetchSite = first(headers['sec-fetch-site']);
  if (fetchSite === 'same-origin') return { ok: true, via: 'sec-fetch-site' };
  const origin = first(headers.origin);
  if (origin && origin !== 'null') {
    const originHost = hostOf(origin);
    if (originHost && allowedHosts.has(originHost)) return { ok: true, via: 'origin' };
    return { ok: false, reason: `Origin ${origin} does not match ${host ?? 'the Host header'}` };
  }
  const referer = first(headers.referer);
  if (referer) {
    const refererHost = hostOf(referer);
    if (refererHost && allowedHosts.has(refererHost)) return { ok: true, via: 'referer' };
    return { ok: false, reason: `Referer ${referer} does not match ${host ?? 'the Host header'}` };
  }
  if (fetchSite) return { ok: false, reason: `Sec-Fetch-Site is ${fetchSite}` };
  return { ok: false, reason: 'no Origin, Referer or Sec-Fetch-Site header (send one, or use bearer auth)' };
}
