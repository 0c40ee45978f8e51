import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { UserCacheInterceptor, type UserCachedOptions, UserCachedOptionsMetadata } from './user-cache.interceptor';
import { UserCacheInvalidationInterceptor } from './user-cache-invalidation.interceptor';

/** Cache this GET per user (key: user id + path + normalised query); writes invalidate it. */
export const UserCached = (options: UserCachedOptions = {}): MethodDecorator =>
  applyDecorators(UserCachedOptionsMetadata(options), UseInterceptors(UserCacheInterceptor));

/** This handler writes the caller's data: their cached reads go stale before it answers. */
export const InvalidatesUserCache = (): MethodDecorator & ClassDecorator => UseInterceptors(UserCacheInvalidationInterceptor);
