// Checks the UI credential on a request: a bearer token or HTTP Basic user:password, both compared
// in constant time. Knows nothing about routes; the auth hook decides where it applies.
import { constantTimeEqual } from './constant-time.ts';
import type { UiCredentials } from './options.ts';

export type CredentialResult =
  | { outcome: 'accepted'; scheme: 'bearer' | 'basic' }
  | { outcome: 'missing' }
  | { outcome: 'rejected'; scheme: string };

export function hasCredential(credentials: UiCredentials | undefined): boolean {
  return Boolean(credentials?.token || credentials?.basic);
}

export function checkCredential(
  authorization: string | undefined,
  credentials: UiCredentials,
): CredentialResult {
  if (!authorization) return { outcome: 'missing' };
  const space = authorization.indexOf(' ');
  const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
  const value = space === -1 ? '' : authorization.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (credentials.token && constantTimeEqual(value, credentials.token))
      return { outcome: 'accepted', scheme };
    return { outcome: 'rejected', scheme };
  }
  if (scheme === 'basic') {
    const basic = credentials.basic;
    if (!basic) return { outcome: 'rejected', scheme };
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return { outcome: 'rejected', scheme };
    // evaluate both comparisons so a wrong user costs the same time as a wrong password
    const userOk = constantTimeEqual(decoded.slice(0, colon), basic.user);
    const passwordOk = constantTimeEqual(decoded.slice(colon + 1), basic.password);
    return userOk && passwordOk ? { outcome: 'accepted', scheme } : { outcome: 'rejected', scheme };
  }
  return { outcome: 'rejected', scheme };
}
