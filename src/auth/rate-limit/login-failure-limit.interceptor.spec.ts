import { BadRequestException, Body, Controller, ForbiddenException, HttpCode, Module, Post, UnauthorizedException, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ProblemDetailsFilter } from '../../common/problem/problem-details.filter';
import { AppConfig, loadConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisService } from '../../redis/redis.service';
import { LoginFailureLimitInterceptor, rateLimitedProblem } from './login-failure-limit.interceptor';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** A login whose outcome the password names: `right`, `disabled`, `malformed`, `crash`, or anything else (wrong). */
@Controller()
class LoginController {
  @Post('login')
  @HttpCode(200)
  @UseInterceptors(LoginFailureLimitInterceptor)
  login(@Body() body: { password?: string } | null): unknown {
    switch (body?.password) {
      case 'right':
        return { accessToken: 'token' };
      case 'disabled':
        throw new ForbiddenException('Account disabled');
      case 'malformed':
        throw new BadRequestException('password is required');
      case 'crash':
        throw new Error('database exploded');
      default:
        throw new UnauthorizedException('Invalid email or password');
    }
  }
}

describe('LoginFailureLimitInterceptor (per account and per address, in memory without Redis)', () => {
  let app: NestFastifyApplication;
  let metrics: MetricsService;

  beforeEach(async () => {
    metrics = new MetricsService();
    const config = loadConfig({ NODE_ENV: 'test', AUTH_RATE_LIMIT_MAX: '2', AUTH_LOGIN_IP_FAILURE_MAX: '4', AUTH_RATE_LIMIT_TTL_MS: '30500' });
    @Module({
      controllers: [LoginController],
      providers: [
        LoginFailureLimitInterceptor,
        RedisThrottlerStorage,
        { provide: AppConfig, useValue: config },
        { provide: MetricsService, useValue: metrics },
        { provide: RedisService, useValue: { available: false } },
      ],
    })
    class LoginModule {}
    app = await NestFactory.create<NestFastifyApplication>(LoginModule, new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterEach(async () => {
    await app.close();
  });

  const login = (email: string | undefined, password: string, ip = '203.0.113.7') =>
    app.inject({ method: 'POST', url: '/login', remoteAddress: ip, payload: email === undefined ? { password } : { email, password } });

  async function counted(name: string): Promise<Record<string, number>> {
    const samples = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return Object.fromEntries(samples.map((sample) => [Object.values(sample.labels).join(','), sample.value]));
  }

  it('refuses the attempt past the account budget with 429 and Retry-After, whatever the email’s spelling', async () => {
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(401);
    expect((await login('ada@example.com', 'wrong', '198.51.100.1')).statusCode).toBe(401);
    const refused = await login('  ADA@Example.com ', 'right', '192.0.2.9');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('31');
    expect(refused.json()).toMatchObject({ type: 'https://taskwright.dev/problems/rate-limited', detail: 'Too many requests: retry in 31 s' });
    expect((await login('bob@example.com', 'wrong')).statusCode).toBe(401);
    expect(await counted('login_failures_total')).toMatchObject({ invalid_credentials: 3 });
    expect(await counted('rate_limit_rejections_total')).toEqual({ 'login-account': 1 });
  });

  it('charges nothing for a success, a refused request or an error, only for a wrong password', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await login('ada@example.com', 'right')).statusCode).toBe(200);
      expect((await login('ada@example.com', 'disabled')).statusCode).toBe(403);
      expect((await login('ada@example.com', 'malformed')).statusCode).toBe(400);
      expect((await login('ada@example.com', 'crash')).statusCode).toBe(500);
    }
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(401);
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(401);
    expect((await login('ada@example.com', 'right')).statusCode).toBe(429);
    expect(await counted('login_failures_total')).toMatchObject({ account_disabled: 5, invalid_credentials: 2 });
  });

  it('limits failures per address across accounts, and a refused attempt costs the address nothing', async () => {
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(401);
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(401);
    for (let i = 0; i < 5; i += 1) expect((await login('ada@example.com', 'wrong')).statusCode).toBe(429);
    expect((await login('bob@example.com', 'wrong')).statusCode).toBe(401);
    expect((await login(undefined, 'wrong')).statusCode).toBe(401);
    const refused = await login('carol@example.com', 'right');
    expect(refused.statusCode).toBe(429);
    expect(await counted('rate_limit_rejections_total')).toEqual({ 'login-account': 5, 'login-ip': 1 });
    // Carol's own budget was given back: from another address she logs in.
    expect((await login('carol@example.com', 'right', '198.51.100.1')).statusCode).toBe(200);
    expect((await login('carol@example.com', 'wrong', '198.51.100.1')).statusCode).toBe(401);
    expect((await login('carol@example.com', 'wrong', '198.51.100.1')).statusCode).toBe(401);
    expect((await login('carol@example.com', 'right', '198.51.100.1')).statusCode).toBe(429);
  });

  it('counts a request with no usable email against the address only', async () => {
    const body = (payload: unknown) =>
      app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: '203.0.113.7',
        payload: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
      });
    expect((await body({ email: 42, password: 'wrong' })).statusCode).toBe(401);
    expect((await body('wrong')).statusCode).toBe(401);
    expect((await body(null)).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/login', remoteAddress: '203.0.113.7' })).statusCode).toBe(401); // no body at all
    expect((await login('ada@example.com', 'wrong')).statusCode).toBe(429); // the address's fifth failure; ada's own budget is untouched
    expect((await login('ada@example.com', 'wrong', '198.51.100.1')).statusCode).toBe(401);
    expect(await counted('rate_limit_rejections_total')).toEqual({ 'login-ip': 1 });
  });
});

describe('rateLimitedProblem', () => {
  it('asks to retry in whole seconds, rounded up, and never in less than one', () => {
    for (const [seconds, retryAfter] of [
      [0, '1'],
      [-3, '1'],
      [0.2, '1'],
      [2.1, '3'],
      [30, '30'],
    ] as const) {
      const problem = rateLimitedProblem(seconds);
      expect(problem.getStatus()).toBe(429);
      expect(problem.problemType).toBe('rate-limited');
      expect(problem.headers).toEqual({ 'Retry-After': retryAfter });
      expect(problem.message).toBe(`Too many requests: retry in ${retryAfter} s`);
    }
  });
});
