import type { ThrottlerStorage } from '@nestjs/throttler';
import { loadConfig } from '../../config/app-config';
import { createThrottlerOptions } from './rate-limit.options';

describe('createThrottlerOptions', () => {
  it('names the limiters as rate_limit_rejections_total labels them (the metrics table of the README)', () => {
    const options = createThrottlerOptions(loadConfig({ NODE_ENV: 'test' }), {} as ThrottlerStorage);
    const throttlers = Array.isArray(options) ? options : options.throttlers;
    expect(throttlers.map((throttler) => throttler.name)).toEqual(['default', 'auth-ip', 'auth-account']);
  });
});
