import {
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { firstValueFrom, isObservable } from 'rxjs';
import { DASHBOARD_CSRF_HEADER, DASHBOARD_OPTIONS, DASHBOARD_USER_GUARD } from './dashboard.constants.js';
import type { ResolvedDashboardOptions } from './dashboard-options.interface.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** The parts of an Express or Fastify request the dashboard reads. @internal */
export interface DashboardRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  user?: unknown;
  /** Set by this guard: who the request is from, for the action log. */
  dashboardUser?: string;
}

/**
 * Runs on every dashboard route, pages, API and events alike: sets the security headers, then
 * authenticates (basic auth, or the user's guard), then for a POST refuses read-only mode and
 * cross-site requests. @internal
 */
@Injectable()
export class DashboardGuard implements CanActivate {
  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(DASHBOARD_USER_GUARD) private readonly userGuard?: CanActivate,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<DashboardRequest>();
    const response: unknown = http.getResponse();
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(response, name, value);

    const { basicAuth, readOnly } = this.options;
    if (basicAuth) {
      const username = basicUser(request.headers.authorization, basicAuth.username, basicAuth.password);
      if (username === undefined) {
        adapter.setHeader(
          response,
          'WWW-Authenticate',
          'Basic realm="valkey-queue dashboard", charset="UTF-8"',
        );
        throw new UnauthorizedException({ statusCode: 401, message: 'Credentials required' });
      }
      request.dashboardUser = username;
    }
    if (this.userGuard) {
      const verdict = this.userGuard.canActivate(context);
      const allowed = isObservable(verdict) ? await firstValueFrom(verdict) : await verdict;
      if (!allowed) throw new ForbiddenException({ statusCode: 403, message: 'Forbidden' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (readOnly) throw new ForbiddenException({ statusCode: 403, message: 'The dashboard is read-only' });
      const crossSite = crossSiteReason(request);
      if (crossSite)
        throw new ForbiddenException({ statusCode: 403, message: `Request refused: ${crossSite}` });
    }
    return true;
  }
}

/** Why a state-changing request looks cross-site, or undefined when it does not. */
export function crossSiteReason({ headers }: DashboardRequest): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `sent from a ${String(site)} page`;
  const origin = headers.origin;
  if (origin !== undefined) {
    const host = headers['x-forwarded-host'] ?? headers.host;
    let originHost: string | undefined;
    try {
      originHost = new URL(String(origin)).host;
    } catch {
      originHost = undefined;
    }
    if (originHost !== host) return `origin ${String(origin)} is not this site`;
  }
  if (!headers[DASHBOARD_CSRF_HEADER]) return `the ${DASHBOARD_CSRF_HEADER} header is missing`;
  return undefined;
}

/** The user name when `authorization` carries the expected basic credentials (compared in constant time). */
export function basicUser(authorization: unknown, username: string, password: string): string | undefined {
  if (typeof authorization !== 'string' || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const user = decoded.slice(0, colon);
  const userOk = timingSafeEqual(digest(user), digest(username));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(password));
  return userOk && passwordOk ? user : undefined;
}

/** Who sent a request, for the action log: the basic-auth user, the guard's `request.user`, or the address. */
export function operatorOf(request: DashboardRequest): string {
  if (request.dashboardUser) return request.dashboardUser;
  const user = request.user as Record<string, unknown> | undefined;
  const name =
    user && ['username', 'name', 'email', 'id', 'sub'].map((key) => user[key]).find((value) => value);
  return name ? String(name) : `anonymous@${request.ip ?? 'unknown'}`;
}
