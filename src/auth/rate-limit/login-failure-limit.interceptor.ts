import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { ProblemException } from '../../common/problem/problem.exception';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { canonicalEmail } from '../../users/canonical-email';
import { ipTracker, rateLimitKey, type TrackedRequest } from './rate-limit-keys';
import { RedisThrottlerStorage } from './redis-throttler.storage';

export const LOGIN_ACCOUNT_LIMIT = 'login-account';
export const LOGIN_IP_LIMIT = 'login-ip';

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
 * Counts failed logins, per account (the canonical email, whether or not such an account exists,
 * so a 429 tells nothing) and per address; a success costs nothing. Before the password is
 * checked, a request whose account or address is blocked is refused with 429 + Retry-After. The
 * failure that uses up a budget starts a block as long as the window (the counters' semantics,
 * shared by every instance through Redis), so a budget of N allows N wrong passwords a window.
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
    const blocks = await Promise.all(budgets.map((budget) => this.storage.blockedMs(budget.key)));
    const longest = Math.max(0, ...blocks);
    if (longest > 0) {
      const index = blocks.indexOf(longest);
      this.metrics.rateLimited(budgets[index]?.name ?? LOGIN_ACCOUNT_LIMIT);
      throw rateLimitedProblem(longest / 1000);
    }
    return next.handle().pipe(
      catchError(async (error: unknown) => {
        const status = error instanceof HttpException ? error.getStatus() : undefined;
        if (status === 401) {
          this.metrics.loginFailed('invalid_credentials');
          await this.countFailure(budgets);
        } else if (status === 403) {
          this.metrics.loginFailed('account_disabled');
        }
        throw error;
      }),
    );
  }

  private budgets(request: TrackedRequest): Budget[] {
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const budgets: Budget[] = [{ name: LOGIN_IP_LIMIT, key: rateLimitKey(LOGIN_IP_LIMIT, ipTracker(request)), limit: this.config.authLoginIpFailureMax }];
    if (typeof body.email === 'string') {
      budgets.push({ name: LOGIN_ACCOUNT_LIMIT, key: rateLimitKey(LOGIN_ACCOUNT_LIMIT, `email:${canonicalEmail(body.email)}`), limit: this.config.authRateLimitMax });
    }
    return budgets;
  }

  /** The counters block at the hit past their limit: passing limit - 1 blocks at the N-th failure. */
  private async countFailure(budgets: Budget[]): Promise<void> {
    const ttl = this.config.authRateLimitTtlMs;
    await Promise.all(budgets.map((budget) => this.storage.increment(budget.key, ttl, budget.limit - 1, ttl)));
  }
}
