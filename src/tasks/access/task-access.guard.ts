import { type CanActivate, type ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../../common/auth/auth-user';
import { unauthenticated } from '../../common/auth/unauthenticated';
import { isUuid } from '../../common/uuid';
import { taskNotFound } from '../task-not-found';
import { TasksService } from '../tasks.service';
import { authorize, type TaskAction } from './task-access.policy';

/** The action a route does to the task `:id`: fixed, or decided by the request (revoke or leave). */
export type RouteTaskAction = TaskAction | ((request: AuthenticatedRequest & { params: Record<string, string> }) => TaskAction);

const TASK_ACTION = 'taskwright:taskAction';

/**
 * Checks the caller's access to the task `:id` against the policy before the handler runs: 404
 * when they cannot see it, 403 when they may not do `action`. For the sharing routes, whose
 * right never changes under them (only an owner shares, and a task's owner is fixed). The task
 * routes apply the same policy inside their single SQL statement instead: a guard runs before the
 * cache, so it would cost every cached read a query.
 */
@Injectable()
class TaskAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tasks: TasksService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<RouteTaskAction | undefined>(TASK_ACTION, context.getHandler());
    if (action === undefined) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { params: Record<string, string> }>();
    if (!request.user) throw unauthenticated('missing-token');
    const id = request.params.id ?? '';
    if (!isUuid(id)) throw taskNotFound();
    authorize(await this.tasks.accessOf(request.user.id, id.toLowerCase()), typeof action === 'function' ? action(request) : action, taskNotFound);
    return true;
  }
}

/** The caller must be allowed `action` on the task `:id` (see TaskAccessGuard). */
export const RequiresTaskAccess = (action: RouteTaskAction): MethodDecorator => applyDecorators(SetMetadata(TASK_ACTION, action), UseGuards(TaskAccessGuard));
