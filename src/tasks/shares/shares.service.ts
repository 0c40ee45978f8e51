import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { UserCacheService } from '../../common/cache/user-cache.service';
import { ProblemException } from '../../common/problem/problem.exception';
import { MetricsService } from '../../metrics/metrics.service';
import { UsersService } from '../../users/users.service';
import type { ShareRole } from '../access/task-access.policy';
import { taskNotFound } from '../task-not-found';
import type { ShareDto } from './dto/share.dto';
import { type ShareRow, SharesRepository } from './shares.repository';

/** The most accounts one task can be shared with. */
const MAX_SHARES_PER_TASK = 100;

export interface ShareOutcome {
  share: ShareDto;
  /** True for a new grant (201), false for a change of role (200). */
  created: boolean;
}

export function shareNotFound(): ProblemException {
  return new ProblemException(404, 'share-not-found', 'This task is not shared with this user');
}

function toShareDto(row: ShareRow): ShareDto {
  return { user: { id: row.userId, name: row.name, email: row.email }, role: row.role, createdAt: row.createdAt.toISOString() };
}

/**
 * Sharing a task: grants, changes of role, revocations and leaving. Each is one short transaction
 * on the task's row lock and then one cache invalidation of the grantee, whatever the number of
 * tasks anyone has. Who may do it is the access policy's answer, given by TaskAccessGuard on
 * every sharing route before these run.
 */
@Injectable()
export class SharesService implements OnModuleInit {
  constructor(
    private readonly shares: SharesRepository,
    private readonly users: UsersService,
    private readonly userCache: UserCacheService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // The owner's grants went with the account (by cascade, each leaving its tombstone): the
    // grantees' cached lists and reads must not show those tasks again.
    this.users.onAccountDeleted(async (userId) => this.userCache.invalidate(...(await this.shares.endedGranteesOf(userId))));
  }

  /** Who the task is shared with. */
  async list(taskId: string): Promise<ShareDto[]> {
    return (await this.shares.list(taskId)).map(toShareDto);
  }

  /** One grant of the task. */
  async findOne(taskId: string, userId: string): Promise<ShareDto> {
    const row = await this.shares.find(taskId, userId);
    if (row === undefined) throw shareNotFound();
    return toShareDto(row);
  }

  /**
   * Grants `role` on the task to the account with `email`, or changes the role of an existing
   * grant. Refused, with nothing changed: an unknown email (404 user-not-found), the owner
   * themself (400), a disabled account (409), the same role again (409 already-shared), a 101st
   * grant (409 share-limit-reached).
   */
  async grant(caller: AuthUser, taskId: string, email: string, role: ShareRole): Promise<ShareOutcome> {
    const grantee = await this.users.findByEmail(email);
    const outcome = await this.shares.transaction(async (manager): Promise<ShareOutcome> => {
      // Deleted since the guard let the owner in.
      const task = await this.shares.lockTask(manager, taskId);
      if (task === undefined) throw taskNotFound();
      if (grantee === undefined) throw new ProblemException(404, 'user-not-found', 'No account has this email');
      if (grantee.id === caller.id) {
        throw new ProblemException(400, 'cannot-share-with-self', 'You own this task; share it with someone else', [
          { field: 'email', message: 'email is your own' },
        ]);
      }
      if (grantee.disabled) throw new ProblemException(409, 'account-disabled', 'This account is disabled and cannot be given access');
      const current = await this.shares.roleOf(manager, taskId, grantee.id);
      if (current === role) {
        throw new ProblemException(409, 'already-shared', `This task is already shared with this user as ${role}; nothing was changed`);
      }
      if (current === undefined) {
        if ((await this.shares.count(manager, taskId)) >= MAX_SHARES_PER_TASK) {
          throw new ProblemException(409, 'share-limit-reached', `A task can be shared with at most ${MAX_SHARES_PER_TASK} accounts; revoke one first`);
        }
        await this.shares.insert(manager, taskId, task, grantee.id, role);
      } else {
        await this.shares.updateRole(manager, taskId, grantee.id, role);
      }
      const share = await this.shares.find(taskId, grantee.id, manager);
      if (share === undefined) throw new Error('a grant just written is missing');
      return { share: toShareDto(share), created: current === undefined };
    });
    // The grantee now sees the task (or sees it with another role); the owner's reads are unchanged.
    await this.userCache.invalidate(outcome.share.user.id);
    this.metrics.taskShareChanged(outcome.created ? 'granted' : 'role_changed');
    return outcome;
  }

  /** Ends `userId`'s access: the owner revokes a grant, or a grantee leaves (userId = themself). */
  async revoke(caller: AuthUser, taskId: string, userId: string): Promise<void> {
    const leaving = userId === caller.id;
    if (!(await this.shares.delete(taskId, userId))) throw shareNotFound();
    await this.userCache.invalidate(userId);
    this.metrics.taskShareChanged(leaving ? 'left' : 'revoked');
  }
}
