/**
 * Who may use the control server. Requests on the Unix socket (control.socket) may do anything:
 * reaching the socket at all takes the file permissions the service gives it (0660, the service's
 * user and group, in a directory only they and root can enter), so the kernel has already decided.
 * Requests over TCP are decided by `control.token`:
 *
 * - No token: the server must be bound to a loopback address (assertControlExposure), so only
 *   processes on the host reach it. Requests must also be addressed to a loopback name (the Host
 *   header): a web page whose domain re-resolves to 127.0.0.1 (DNS rebinding) is refused.
 * - A token: every request but the probes (GET /healthz, GET /readyz) needs
 *   `Authorization: Bearer <token>`. A browser opens `/?token=<token>` once; the answer sets an
 *   HttpOnly, SameSite=Strict cookie with Max-Age (control.loginMaxAgeSeconds), and Secure when
 *   control.secureCookie says the dashboard is served over HTTPS, and redirects to `/` (no token in
 *   the URL the browser keeps, no Referer: it never travels in a URL again). The cookie holds its
 *   expiry and an HMAC of it keyed by the token (not the token): it is refused once expired, even by
 *   a client that ignores Max-Age, and once the token changes. `POST /logout` clears it.
 *
 * Tokens are compared in constant time (over their SHA-256), and no token, cookie or presented
 * credential is ever logged or repeated in an answer.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { ConfigError } from '../config/config';

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
  /** POST /logout: clear the cookie, redirect to `/`. */
  | { kind: 'logout'; cookie: string }
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

/** How long a dashboard login lasts unless control.loginMaxAgeSeconds says otherwise. */
export const DEFAULT_LOGIN_MAX_AGE_SECONDS = 12 * 60 * 60;

export interface ControlAuthOptions {
  /** control.loginMaxAgeSeconds: lifetime of a login cookie. */
  loginMaxAgeSeconds?: number;
  /** control.secureCookie: the dashboard is served over HTTPS (a TLS proxy in front): cookies get Secure. */
  secureCookie?: boolean;
  /** The clock, in ms; tests move it. */
  now?: () => number;
}

/** Where a request came in: the Unix socket (trusted by its file permissions) or TCP. */
export type Via = 'socket' | 'tcp';

export class ControlAuth {
  private readonly maxAgeSeconds: number;
  private readonly attributes: string;
  private readonly now: () => number;

  constructor(
    private readonly token: string | undefined,
    options: ControlAuthOptions = {},
  ) {
    this.maxAgeSeconds = options.loginMaxAgeSeconds ?? DEFAULT_LOGIN_MAX_AGE_SECONDS;
    this.attributes = `HttpOnly; SameSite=Strict; Path=/${options.secureCookie ? '; Secure' : ''}`;
    this.now = options.now ?? Date.now;
  }

  /** `<expiry, epoch s>.<HMAC(token) of it>`: proof of a login, not the token, and only until the expiry. */
  private cookieFor(expiresSec: number): string {
    const mac = crypto.createHmac('sha256', this.token ?? '').update(`logpipe control cookie v2 ${expiresSec}`).digest('base64url');
    return `${expiresSec}.${mac}`;
  }

  /** Whether a presented cookie value is one this server issued with its token and not yet expired. */
  private validCookie(value: string): boolean {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m || !this.token) return false;
    const expiresSec = Number(m[1]);
    return safeEqual(value, this.cookieFor(expiresSec)) && expiresSec * 1000 > this.now();
  }

  /** The Set-Cookie value of a login. */
  loginCookie(): string {
    const expiresSec = Math.floor(this.now() / 1000) + this.maxAgeSeconds;
    return `${TOKEN_COOKIE}=${this.cookieFor(expiresSec)}; ${this.attributes}; Max-Age=${this.maxAgeSeconds}`;
  }

  /** The Set-Cookie value that removes the login cookie. */
  clearCookie(): string {
    return `${TOKEN_COOKIE}=; ${this.attributes}; Max-Age=0`;
  }

  /**
   * Whether `req` (parsed target `url`, arrived `via` the socket or TCP) may proceed. Public routes
   * and the socket always may; `POST /logout` always clears the cookie; over TCP without a token,
   * any request addressed to a loopback name (or without a Host header) may; with one, see the
   * module comment.
   */
  decide(req: http.IncomingMessage, url: URL, via: Via = 'tcp'): AuthDecision {
    if (req.method === 'POST' && url.pathname === '/logout') return { kind: 'logout', cookie: this.clearCookie() };
    if (PUBLIC_ROUTES.has(`${req.method} ${url.pathname}`)) return { kind: 'allow' };
    if (via === 'socket') return { kind: 'allow' };
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
      if (this.validCookie(cookie)) return { kind: 'allow' };
      const refused = deny(401, 'stale login cookie', `the ${TOKEN_COOKIE} cookie has expired or does not match this server's token; open /?token=<control.token> again`, true);
      // Drop the stale cookie so the browser stops sending it.
      if (refused.kind === 'deny') refused.headers['set-cookie'] = this.clearCookie();
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
