import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerLimitDetail, ThrottlerStorage } from '@nestjs/throttler';
import { mapError } from '../../common/problem/problem-details.filter';
import { RateLimitGuard } from './rate-limit.guard';

class ExposedGuard extends RateLimitGuard {
  reject(detail: ThrottlerLimitDetail): Promise<void> {
    return this.throwThrottlingException({} as ExecutionContext, detail);
  }
}

describe('RateLimitGuard', () => {
  const guard = new ExposedGuard({ throttlers: [] }, {} as ThrottlerStorage, new Reflector());
  const detail: ThrottlerLimitDetail = { limit: 3, ttl: 60000, key: 'k', tracker: 't', totalHits: 4, timeToExpire: 42, isBlocked: true, timeToBlockExpire: 42 };

  it('answers problem+json 429 rate-limited with a plain Retry-After, whatever the throttler is named', async () => {
    const error: unknown = await guard.reject(detail).catch((thrown: unknown) => thrown);
    expect(mapError(error)).toMatchObject({ status: 429, type: 'rate-limited', headers: { 'Retry-After': '42' } });
  });

  it('never asks to retry in zero seconds', async () => {
    const error: unknown = await guard.reject({ ...detail, timeToBlockExpire: 0 }).catch((thrown: unknown) => thrown);
    expect(mapError(error).headers).toEqual({ 'Retry-After': '1' });
  });
});
