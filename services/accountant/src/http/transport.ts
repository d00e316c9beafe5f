/**
 * Transport settings for running behind a TLS-terminating reverse proxy: which proxies express trusts for
 * X-Forwarded-* (so `req.secure` and `req.ip` are right), and HSTS on answers that arrived over HTTPS.
 */
import type { NextFunction, Request, Response } from 'express';
import { StartupError } from '../errors.js';

/** express's `trust proxy` setting: false, true, a hop count, or proxy-addr names/subnets ('loopback, 10.0.0.0/8'). */
export type TrustProxy = boolean | number | string;

/** One year, the max-age hstspreload.org asks for (RFC 6797 section 6.1.1). */
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * Parses `DPLEDGER_TRUST_PROXY` / `--trust-proxy`: 'false' or '' (default: trust no proxy), 'true' (trust every
 * hop; only when nothing can reach the service except through the proxy), a hop count, or addresses/subnets.
 * @example parseTrustProxy('1') // 1
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d{1,3}$/.test(v)) return Number(v);
  if (!/^[0-9A-Za-z.:/,\s]+$/.test(v)) {
    const want = 'trust proxy must be true, false, a hop count or addresses/subnets';
    throw new StartupError('invalid_config', `${want}, got '${v}'`);
  }
  return v;
}

/**
 * Adds `Strict-Transport-Security` to every answer of a request that came over HTTPS (`req.secure`, which
 * honours X-Forwarded-Proto only from a trusted proxy). RFC 6797 section 7.2: never on plain HTTP answers.
 * @example app.use(hsts(31536000))
 */
export function hsts(maxAgeSeconds: number) {
  const value = `max-age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.secure && maxAgeSeconds > 0) res.setHeader('Strict-Transport-Security', value);
    next();
  };
}
