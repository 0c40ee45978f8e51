import { type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { MetricsService } from '../../metrics/metrics.service';
import { rateLimitedProblem } from './login-failure-limit.interceptor';

/**
 * ThrottlerGuard answering problem+json 429 with `Retry-After`. The stock guard names the header
 * `Retry-After-<throttler>` for every throttler but `default`, which clients do not understand.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // A property, so the stock guard's constructor (and its injection tokens) stays as it is.
  @Optional() @Inject(MetricsService) private readonly metrics?: MetricsService;

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    // Every key starts with its throttler's name (rateLimitKey).
    this.metrics?.rateLimited(detail.key.slice(0, detail.key.indexOf(':')));
    throw rateLimitedProblem(detail.timeToBlockExpire);
  }
}
