import { UseInterceptors } from '@nestjs/common';
import { type UserCachedOptions, UserCachedOptionsMetadata } from './http-caching.interceptor';
import { UserCacheInvalidationInterceptor } from './user-cache-invalidation.interceptor';

/**
 * Cache this GET per user (key: user id + path + normalised query); writes invalidate it. The
 * global HttpCachingInterceptor does the caching.
 */
export const UserCached = (options: UserCachedOptions = {}): MethodDecorator => UserCachedOptionsMetadata(options);

/** This handler writes the caller's data: their cached reads go stale before it answers. */
export const InvalidatesUserCache = (): MethodDecorator & ClassDecorator => UseInterceptors(UserCacheInvalidationInterceptor);
