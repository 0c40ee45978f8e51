import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { ProblemException } from '../../common/problem/problem.exception';

/**
 * ThrottlerGuard answering problem+json 429 with `Retry-After`. The stock guard names the header
 * `Retry-After-<throttler>` for every throttler but `default`, which clients do not understand.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    throw new ProblemException(429, 'rate-limited', `Too many requests: retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
  }
}
