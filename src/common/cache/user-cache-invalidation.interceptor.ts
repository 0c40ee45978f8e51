import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { mergeMap, type Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { UserCacheService } from './user-cache.service';

/**
 * After a successful write by the caller, makes the caller's cached reads stale before the
 * response is sent. Apply with `@InvalidatesUserCache()`. Writes that affect another user (admin
 * changes, account deletion) call UserCacheService.invalidate(thatUserId) in their service.
 */
@Injectable()
export class UserCacheInvalidationInterceptor implements NestInterceptor {
  constructor(private readonly cache: UserCacheService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        if (user) await this.cache.invalidate(user.id);
        return body;
      }),
    );
  }
}
