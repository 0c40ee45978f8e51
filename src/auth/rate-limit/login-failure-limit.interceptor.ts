import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { ProblemException } from '../../common/problem/problem.exception';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { canonicalEmail } from '../../users/canonical-email';
import { ipTracker, rateLimitKey, type TrackedRequest } from './rate-limit-keys';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const LOGIN_ACCOUNT_LIMIT = 'login-account';
const LOGIN_IP_LIMIT = 'login-ip';

interface Budget {
  name: string;
  key: string;
  limit: number;
}

export function rateLimitedProblem(seconds: number): ProblemException {
  const retryAfter = Math.max(1, Math.ceil(seconds));
  return new ProblemException(429, 'rate-limited', `Too many requests: retry in ${retryAfter} s`, undefined, { 'Retry-After': String(retryAfter) });
}

/**
 * Limits failed logins, per account (the canonical email, whether or not such an account exists,
 * so a 429 tells nothing) and per address; a success costs nothing. Each attempt reserves a hit
 * of both budgets before the password is checked, so parallel guesses cannot all pass a check made
 * before any of them failed; a 401 keeps its hits, anything else gives them back. The attempt past
 * a budget is refused with 429 + Retry-After and starts a block as long as the window (the
 * counters' semantics, shared by every instance through Redis): N wrong passwords a window.
 */
@Injectable()
export class LoginFailureLimitInterceptor implements NestInterceptor {
  constructor(
    private readonly storage: RedisThrottlerStorage,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const budgets = this.budgets(context.switchToHttp().getRequest<TrackedRequest>());
    const ttl = this.config.authRateLimitTtlMs;
    const records = await Promise.all(budgets.map((budget) => this.storage.increment(budget.key, ttl, budget.limit, ttl)));
    const refused = records.findIndex((record) => record.isBlocked);
    if (refused >= 0) {
      // The budgets that still had room counted an attempt that never checked a password.
      // Stryker disable next-line MethodExpression,OptionalChaining: refunding the blocked budget too would change nothing (a block, once started, stays); records has one entry per budget
      await this.refund(budgets.filter((_, index) => !records[index]?.isBlocked));
      // Stryker disable next-line OptionalChaining: refused is the index of a budget, never out of range
      this.metrics.rateLimited(budgets[refused]?.name ?? LOGIN_ACCOUNT_LIMIT);
      throw rateLimitedProblem(Math.max(...records.map((record) => record.timeToBlockExpire)));
    }
    return next.handle().pipe(
      // A success gives its hits back before the answer leaves, so the next attempt sees the budget.
      mergeMap(async (body: unknown) => {
        await this.refund(budgets);
        return body;
      }),
      catchError(async (error: unknown) => {
        const status = error instanceof HttpException ? error.getStatus() : undefined;
        if (status === 401) {
          this.metrics.loginFailed('invalid_credentials');
        } else {
          if (status === 403) this.metrics.loginFailed('account_disabled');
          await this.refund(budgets);
        }
        throw error;
      }),
    );
  }

  private budgets(request: TrackedRequest): Budget[] {
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const budgets: Budget[] = [{ name: LOGIN_IP_LIMIT, key: rateLimitKey(LOGIN_IP_LIMIT, ipTracker(request)), limit: this.config.authLoginIpFailureMax }];
    if (typeof body.email === 'string') {
      budgets.push({
        name: LOGIN_ACCOUNT_LIMIT,
        key: rateLimitKey(LOGIN_ACCOUNT_LIMIT, `email:${canonicalEmail(body.email)}`),
        limit: this.config.authRateLimitMax,
      });
    }
    return budgets;
  }

  private async refund(budgets: Budget[]): Promise<void> {
    await Promise.all(budgets.map((budget) => this.storage.refund(budget.key)));
  }
}
