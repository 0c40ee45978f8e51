import { type CanActivate, Controller, type ExecutionContext, Get, HttpCode, Injectable, Module, Post, Res } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createCache } from 'cache-manager';
import type { FastifyReply } from 'fastify';
import { Keyv } from 'keyv';
import { lastValueFrom, of } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { loadConfig } from '../../config/app-config';
import type { RedisService } from '../../redis/redis.service';
import { etagOfJson } from '../http/etag';
import { SerializedJson } from '../http/serialized-json';
import { InvalidatesUserCache, UserCached } from './cache.decorators';
import { HttpCachingInterceptor, requestCacheKey } from './http-caching.interceptor';
import { UserCacheService } from './user-cache.service';

const JSON_TYPE = 'application/json; charset=utf-8';

/** How many times each handler ran: a cache hit does not run it. */
const runs = new Map<string, number>();
const ran = (name: string): number => {
  runs.set(name, (runs.get(name) ?? 0) + 1);
  return runs.get(name) ?? 0;
};

@Controller('items')
class ItemsController {
  @Get()
  @UserCached({ bypassWhenQueryHas: ['ownerId', 'asUser'] })
  list(): unknown {
    return { data: ['a', 'b'], run: ran('list') };
  }

  @Get('all')
  @UserCached()
  all(): unknown {
    return { run: ran('all') };
  }

  @Get('serialized')
  @UserCached()
  serialized(): SerializedJson {
    return new SerializedJson(`{"run": ${ran('serialized')}}`);
  }

  @Get('versioned')
  @UserCached()
  versioned(@Res({ passthrough: true }) reply: FastifyReply): unknown {
    reply.header('etag', '"item.7"');
    return { run: ran('versioned') };
  }

  @Get('accepted')
  @UserCached()
  @HttpCode(202)
  accepted(): SerializedJson {
    return new SerializedJson(`{"run": ${ran('accepted')}}`);
  }

  @Get('accepted-plain')
  @UserCached()
  @HttpCode(202)
  acceptedPlain(): unknown {
    return { run: ran('accepted-plain') };
  }

  @Get('nothing')
  @UserCached()
  nothing(): void {
    ran('nothing');
  }

  @Get('uncached')
  uncached(): unknown {
    return { run: ran('uncached') };
  }

  @Get('stable')
  stable(): unknown {
    ran('stable');
    return { stable: true };
  }

  @Get('versioned-uncached')
  versionedUncached(@Res({ passthrough: true }) reply: FastifyReply): unknown {
    reply.header('etag', '"item.8"');
    return { run: ran('versioned-uncached') };
  }

  @Post('search')
  @HttpCode(200)
  search(): unknown {
    return { found: ran('search') };
  }

  @Post()
  @InvalidatesUserCache()
  create(): unknown {
    return { created: ran('create') };
  }
}

/** Stands in for the token guard: the caller named by `x-test-user`, if any. */
@Injectable()
class TestUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: AuthUser }>();
    const id = request.headers['x-test-user'];
    if (id !== undefined) request.user = { id, role: 'user', sessionId: 'session' } as AuthUser;
    return true;
  }
}

/** An in-memory store whose writes can be made slow, like a loaded Redis. */
function slowStore(): { keyv: Keyv; setDelayMs(ms: number): void } {
  const data = new Map<string, unknown>();
  let delayMs = 0;
  const later = async (): Promise<void> => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  };
  const adapter = {
    opts: {},
    namespace: undefined,
    on: () => adapter,
    get: async (key: string) => data.get(key),
    getMany: async (keys: string[]) => keys.map((key) => data.get(key)),
    set: (key: string, value: unknown) => later().then(() => (data.set(key, value), true)),
    delete: async (key: string) => data.delete(key),
    clear: async () => data.clear(),
  };
  return { keyv: new Keyv({ store: adapter as never, throwOnErrors: true }), setDelayMs: (ms) => (delayMs = ms) };
}

describe('HttpCachingInterceptor and UserCacheInvalidationInterceptor, over HTTP', () => {
  let app: NestFastifyApplication;
  let store: ReturnType<typeof slowStore>;

  async function start(env: Record<string, string> = {}): Promise<void> {
    store = slowStore();
    const cache = new UserCacheService(createCache({ stores: [store.keyv] }), loadConfig({ NODE_ENV: 'test', ...env }), {
      onResume: () => undefined,
      available: true,
    } as unknown as RedisService);
    @Module({
      controllers: [ItemsController],
      providers: [
        { provide: UserCacheService, useValue: cache },
        { provide: APP_GUARD, useClass: TestUserGuard },
        { provide: APP_INTERCEPTOR, useClass: HttpCachingInterceptor },
      ],
    })
    class ItemsModule {}
    app = await NestFactory.create<NestFastifyApplication>(ItemsModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }

  const get = (url: string, headers: Record<string, string> = { 'x-test-user': 'alice' }) => app.inject({ method: 'GET', url, headers });

  beforeEach(() => runs.clear());
  afterEach(async () => {
    await app.close();
  });

  it('answers a repeated GET of a cached route from the caller’s entry, with the same body and ETag', async () => {
    await start();
    const first = await get('/items?page=2');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ data: ['a', 'b'], run: 1 });
    expect(first.headers['content-type']).toBe(JSON_TYPE);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers.etag).toBe(etagOfJson(first.body));
    const second = await get('/items?page=2');
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['content-type']).toBe(JSON_TYPE);
    expect(second.headers['cache-control']).toBe('private, no-cache');
    expect(runs.get('list')).toBe(1);
    expect((await get('/items?page=2', { 'x-test-user': 'bob' })).json()).toEqual({ data: ['a', 'b'], run: 2 });
  });

  it('never caches a request for another user’s data (bypassWhenQueryHas), and caches every other query', async () => {
    await start();
    await get('/items?ownerId=bob');
    await get('/items?ownerId=bob');
    expect(runs.get('list')).toBe(2);
    await get('/items?status=done');
    await get('/items?status=done');
    expect(runs.get('list')).toBe(3);
    await get('/items?asUser=bob');
    await get('/items?asUser=bob');
    expect(runs.get('list')).toBe(5); // any one of the parameters named
    await get('/items/all?ownerId=bob');
    expect((await get('/items/all?ownerId=bob')).json()).toEqual({ run: 1 }); // this route names no bypass
  });

  it('answers 304 with no body when If-None-Match names the current ETag, from the handler and from the cache', async () => {
    await start();
    const first = await get('/items/stable');
    const etag = String(first.headers.etag);
    const notModified = await get('/items/stable', { 'x-test-user': 'alice', 'if-none-match': `"other", ${etag}` });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['cache-control']).toBe('private, no-cache');
    expect(runs.get('stable')).toBe(2);

    const cached = await get('/items/all');
    const fromCache = await get('/items/all', { 'x-test-user': 'alice', 'if-none-match': String(cached.headers.etag) });
    expect(fromCache.statusCode).toBe(304);
    expect(fromCache.body).toBe('');
    expect(runs.get('all')).toBe(1);
    expect((await get('/items/all', { 'x-test-user': 'alice', 'if-none-match': '"stale"' })).statusCode).toBe(200);
  });

  it('gives every authenticated 200 an ETag and no-cache, but runs an uncached route each time', async () => {
    await start();
    const first = await get('/items/uncached');
    const second = await get('/items/uncached');
    expect(second.json()).toEqual({ run: 2 });
    expect(second.headers.etag).toBe(etagOfJson(second.body));
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(second.headers['cache-control']).toBe('private, no-cache');
  });

  it('sends a handler’s SerializedJson as it is, hashes that text and caches it', async () => {
    await start();
    const first = await get('/items/serialized');
    expect(first.body).toBe('{"run": 1}');
    expect(first.headers['content-type']).toBe(JSON_TYPE);
    expect(first.headers.etag).toBe(etagOfJson('{"run": 1}'));
    expect((await get('/items/serialized')).body).toBe('{"run": 1}');
  });

  it('keeps the ETag a handler set (a version) and caches the response under it', async () => {
    await start();
    const first = await get('/items/versioned');
    expect(first.headers.etag).toBe('"item.7"');
    const second = await get('/items/versioned', { 'x-test-user': 'alice' });
    expect(second.json()).toEqual({ run: 1 });
    expect(second.headers.etag).toBe('"item.7"');
    expect((await get('/items/versioned', { 'x-test-user': 'alice', 'if-none-match': 'W/"item.7"' })).statusCode).toBe(304);
  });

  it('neither caches nor tags a response other than a 200 with a body', async () => {
    await start();
    const accepted = await get('/items/accepted');
    expect(accepted.statusCode).toBe(202);
    expect(accepted.body).toBe('{"run": 1}');
    expect(accepted.headers['content-type']).toBe(JSON_TYPE);
    expect(accepted.headers.etag).toBeUndefined();
    expect((await get('/items/accepted')).body).toBe('{"run": 2}');

    const plain = await get('/items/accepted-plain');
    expect(plain.json()).toEqual({ run: 1 });
    expect(plain.headers.etag).toBeUndefined();

    const nothing = await get('/items/nothing');
    expect(nothing.statusCode).toBe(200);
    expect(nothing.body).toBe('');
    expect(nothing.headers.etag).toBeUndefined();
    await get('/items/nothing');
    expect(runs.get('nothing')).toBe(2);
  });

  it('leaves anonymous requests and other methods alone', async () => {
    await start();
    const anonymous = await get('/items/all', {});
    expect(anonymous.json()).toEqual({ run: 1 });
    expect(anonymous.headers.etag).toBeUndefined();
    expect(anonymous.headers['cache-control']).toBeUndefined();
    expect((await get('/items/all', {})).json()).toEqual({ run: 2 });
    const post = await app.inject({ method: 'POST', url: '/items', headers: { 'x-test-user': 'alice' } });
    expect(post.statusCode).toBe(201);
    expect(post.headers.etag).toBeUndefined();
    expect(post.headers['cache-control']).toBeUndefined();
    // A POST answered 200 (like a login or a refresh) neither: no ETag, and never a 304.
    const search = () => app.inject({ method: 'POST', url: '/items/search', headers: { 'x-test-user': 'alice', 'if-none-match': etagOfJson('{"found":1}') } });
    const found = await search();
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ found: 1 });
    expect(found.headers.etag).toBeUndefined();
    expect(found.headers['cache-control']).toBeUndefined();
    expect((await search()).json()).toEqual({ found: 2 });
  });

  it('sends the body of an uncached route that set its own ETag, under that ETag', async () => {
    await start();
    const first = await get('/items/versioned-uncached');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ run: 1 });
    expect(first.headers['content-type']).toBe(JSON_TYPE);
    expect(first.headers.etag).toBe('"item.8"');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const notModified = await get('/items/versioned-uncached', { 'x-test-user': 'alice', 'if-none-match': '"item.8"' });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(runs.get('versioned-uncached')).toBe(2);
  });

  it('caches nothing with CACHE_TTL_MS=0, yet still tags responses', async () => {
    await start({ CACHE_TTL_MS: '0' });
    await get('/items/all');
    const second = await get('/items/all');
    expect(second.json()).toEqual({ run: 2 });
    expect(second.headers.etag).toBe(etagOfJson(second.body));
  });

  it('makes the writer’s cached reads stale before the write’s response is sent, even with a slow store', async () => {
    await start();
    await get('/items/all');
    await get('/items/all', { 'x-test-user': 'bob' });
    store.setDelayMs(50);
    const created = await app.inject({ method: 'POST', url: '/items', headers: { 'x-test-user': 'alice' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ created: 1 });
    expect((await get('/items/all')).json()).toEqual({ run: 3 });
    expect((await get('/items/all', { 'x-test-user': 'bob' })).json()).toEqual({ run: 2 });
  });

  it('lets an anonymous write through without invalidating anything', async () => {
    await start();
    await get('/items/all');
    const created = await app.inject({ method: 'POST', url: '/items' });
    expect(created.statusCode).toBe(201);
    expect((await get('/items/all')).json()).toEqual({ run: 1 });
  });
});

describe('HttpCachingInterceptor outside HTTP', () => {
  it('passes a non-HTTP call through untouched', async () => {
    const lookups: string[] = [];
    const cache = { enabled: true, lookup: async (userId: string) => (lookups.push(userId), { hit: false, store: () => undefined }) };
    const interceptor = new HttpCachingInterceptor(cache as unknown as UserCacheService, new Reflector());
    const message = { method: 'GET', url: '/items', user: { id: 'alice' }, headers: {} };
    const context = new ExecutionContextHost([message, { statusCode: 200 }]);
    context.setType('rpc');
    const result = await lastValueFrom(await interceptor.intercept(context, { handle: () => of({ ok: true }) }));
    expect(result).toEqual({ ok: true });
    expect(lookups).toEqual([]);
  });
});

describe('requestCacheKey', () => {
  it('normalises the order of query parameters, repeated ones included', () => {
    const key = requestCacheKey('GET', '/v1/tasks?a=1&a=2&b=1&c=1');
    for (const permutation of ['b=1&a=2&c=1&a=1', 'c=1&a=1&b=1&a=2', 'a=2&c=1&b=1&a=1']) {
      expect(requestCacheKey('GET', `/v1/tasks?${permutation}`)).toBe(key);
    }
  });

  it('tells apart every method, path and query that can differ', () => {
    const keys = [
      requestCacheKey('GET', '/v1/tasks?a=1'),
      requestCacheKey('HEAD', '/v1/tasks?a=1'),
      requestCacheKey('GET', '/v1/tasks?a=2'),
      requestCacheKey('GET', '/v1/tasks?b=1'),
      requestCacheKey('GET', '/v1/tasks/1?a=1'),
      requestCacheKey('GET', '/v1/tasks'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
