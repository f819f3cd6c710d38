/**
 * Who may use the control server. Two modes, chosen by `control.token`:
 *
 * - No token: the server must be bound to a loopback address (assertControlExposure), so only
 *   processes on the host reach it. Requests must also be addressed to a loopback name (the Host
 *   header): a web page whose domain re-resolves to 127.0.0.1 (DNS rebinding) is refused.
 * - A token: every request but the probes (GET /healthz, GET /readyz) needs
 *   `Authorization: Bearer <token>`. A browser opens `/?token=<token>` once; the answer sets an
 *   HttpOnly, SameSite=Strict cookie holding a value derived from the token (not the token) and
 *   redirects to `/`; the cookie is then accepted like the header.
 *
 * Tokens are compared in constant time (over their SHA-256), and no token, cookie or presented
 * credential is ever logged or repeated in an answer.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { ConfigError } from './config';

/** The cookie the dashboard login sets. */
export const TOKEN_COOKIE = 'logpipe_token';

/** Routes anyone may call: the liveness and readiness probes of load balancers and supervisors. */
const PUBLIC_ROUTES = new Set(['GET /healthz', 'GET /readyz']);

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True for 127.0.0.0/8, ::1, IPv4-mapped 127.x and `localhost`; brackets around IPv6 allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (net.isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
}

/**
 * Throws a ConfigError (exit 2: a restart cannot help) when the control server would listen on a
 * non-loopback address without a token: anyone on that network could trigger ingests and read the
 * dashboard. The message says why and what to set.
 */
export function assertControlExposure(control: { host: string; token?: string }): void {
  if (control.token || isLoopbackHost(control.host)) return;
  throw new ConfigError([
    `control.host is ${JSON.stringify(control.host)}, which is not a loopback address, and control.token is empty: ` +
      'anyone who can reach that address could ask for ingests and read the dashboard. ' +
      'Set LOGPIPE_CONTROL_TOKEN (control.token) to a long random secret, e.g. `openssl rand -hex 32`, ' +
      'or bind to 127.0.0.1 (LOGPIPE_CONTROL_HOST).',
  ]);
}

export type AuthDecision =
  | { kind: 'allow' }
  /** GET /?token= with the right token: set the cookie, redirect to `/`. */
  | { kind: 'login'; cookie: string }
  | {
      kind: 'deny';
      status: 400 | 401 | 403;
      /** For the JSON answer: what is wrong and what to do; never a credential. */
      error: string;
      /** For the log: a few words. */
      reason: string;
      headers: Record<string, string>;
    };

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text, 'utf8').digest();

/** Constant-time equality of two strings of any lengths (their digests are compared). */
export function safeEqual(a: string, b: string): boolean {
  return crypto.timingSafeEqual(sha256(a), sha256(b));
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class ControlAuth {
  /** What the login cookie holds: HMAC(token), so the cookie store never has the token itself. */
  private readonly cookie: string | undefined;

  constructor(private readonly token: string | undefined) {
    this.cookie = token ? crypto.createHmac('sha256', token).update('logpipe control cookie v1').digest('base64url') : undefined;
  }

  /** The Set-Cookie value of a login. */
  loginCookie(): string {
    return `${TOKEN_COOKIE}=${this.cookie ?? ''}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /**
   * Whether `req` (parsed target `url`) may proceed. Public routes always may; without a token, any
   * request addressed to a loopback name (or without a Host header) may; with one, see the module
   * comment.
   */
  decide(req: http.IncomingMessage, url: URL): AuthDecision {
    if (PUBLIC_ROUTES.has(`${req.method} ${url.pathname}`)) return { kind: 'allow' };
    if (!this.token) return this.checkHost(req);

    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      return safeEqual(url.searchParams.get('token') ?? '', this.token)
        ? { kind: 'login', cookie: this.loginCookie() }
        : deny(401, 'wrong token in ?token=', 'the token in ?token= is wrong', true);
    }
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!bearer) return deny(401, 'malformed Authorization header', 'the Authorization header must be "Bearer <control.token>"', true);
      return safeEqual(bearer[1], this.token) ? { kind: 'allow' } : deny(401, 'wrong bearer token', 'wrong bearer token', true);
    }
    const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
    if (cookie !== undefined) {
      if (this.cookie && safeEqual(cookie, this.cookie)) return { kind: 'allow' };
      const refused = deny(401, 'stale login cookie', `the ${TOKEN_COOKIE} cookie does not match this server's token (was it changed?); open /?token=<control.token> again`, true);
      // Drop the stale cookie so the browser stops sending it.
      if (refused.kind === 'deny') refused.headers['set-cookie'] = `${TOKEN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
      return refused;
    }
    return deny(401, 'no token', 'this control server requires a token: send "Authorization: Bearer <control.token>" (in a browser, open /?token=<control.token> once)', false);
  }

  /** DNS-rebinding guard of the token-less mode: the Host header must name a loopback address. */
  private checkHost(req: http.IncomingMessage): AuthDecision {
    const host = req.headers.host;
    if (host === undefined) return { kind: 'allow' };
    let hostname: string;
    try {
      hostname = new URL(`http://${host}`).hostname;
    } catch {
      return deny(400, 'bad Host header', 'the Host header is not HOST[:PORT]', false);
    }
    if (isLoopbackHost(hostname)) return { kind: 'allow' };
    return deny(
      403,
      'Host is not a loopback name',
      'without control.token this server answers only requests addressed to 127.0.0.1, ::1 or localhost (the Host header names another host)',
      false,
    );
  }
}

function deny(status: 400 | 401 | 403, reason: string, error: string, presentedWrong: boolean): AuthDecision {
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = `Bearer realm="logpipe"${presentedWrong ? ', error="invalid_token"' : ''}`;
  return { kind: 'deny', status, error, reason, headers };
}
