import { VerifiedEmailForWrites } from '../../common/auth/verified-email.decorator';
import { Body, Controller, Delete, Get, HttpCode, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { IdParam } from '../../common/http/id-param.decorator';
import { ApiDatabaseProblems, ApiProblem, ApiProblems } from '../../common/openapi/api-problems.decorator';
import { RequiresTaskAccess } from '../access/task-access.guard';
import { taskNotFound } from '../task-not-found';
import { ShareDto, ShareListDto, ShareTaskDto } from './dto/share.dto';
import { shareNotFound, SharesService } from './shares.service';

const TASK_ID = ApiParam({
  name: 'id',
  format: 'uuid',
  description: 'The task id. A task you cannot see is 404, like an unknown id.',
});
const USER_ID = ApiParam({ name: 'userId', format: 'uuid', description: 'The grantee' });
const TASK_EXAMPLE = '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef/shares';
const OWNER_ONLY = ApiProblem(403, 'The task is shared with you, but only its owner manages its shares (`forbidden`)', {
  type: 'forbidden',
  detail: 'Only the owner can see or change who has access to this task',
  instance: TASK_EXAMPLE,
});
const TASK_NOT_FOUND = ApiProblem(404, 'No task with this id that you can see (`not-found`)', {
  type: 'not-found',
  detail: 'No task with this id',
  instance: TASK_EXAMPLE,
});

/** Sharing a task: its owner grants, changes and revokes access; a grantee can leave. */
@ApiTags('sharing')
@ApiBearerAuth('bearer')
@ApiProblems(401)
@ApiDatabaseProblems()
@VerifiedEmailForWrites()
@Controller('v1/tasks/:id/shares')
export class SharesController {
  constructor(private readonly shares: SharesService) {}

  @Get()
  @RequiresTaskAccess('share')
  @ApiOperation({ summary: 'Who the task is shared with', description: 'Its owner only. Oldest grant first; a task has at most 100.' })
  @TASK_ID
  @ApiOkResponse({ type: ShareListDto })
  @OWNER_ONLY
  @TASK_NOT_FOUND
  async list(@IdParam('id', taskNotFound) id: string): Promise<ShareListDto> {
    return { data: await this.shares.list(id) };
  }

  @Put()
  @RequiresTaskAccess('share')
  @ApiOperation({
    summary: 'Share the task with an account, or change its role',
    description:
      'Its owner only. 201 for a new grant, 200 for a change of role. The grantee sees the task at once: in their list, ' +
      '`GET /v1/tasks/{id}` and their change feed, with `access` set to the role. Refused with nothing changed: ' +
      'an email with no account (404 `user-not-found`), your own (400 `cannot-share-with-self`), a disabled account ' +
      '(409 `account-disabled`), the role it already has (409 `already-shared`), a 101st grant (409 `share-limit-reached`).',
  })
  @TASK_ID
  @ApiBody({
    type: ShareTaskDto,
    examples: { editor: { summary: 'Let a colleague edit it', value: { email: 'grace@example.com', role: 'editor' } } },
  })
  @ApiCreatedResponse({
    type: ShareDto,
    description: 'Shared (a new grant)',
    headers: {
      Location: { description: 'The URL of this grant', schema: { type: 'string', example: `${TASK_EXAMPLE}/019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f71` } },
    },
  })
  @ApiOkResponse({ type: ShareDto, description: 'The role of an existing grant changed' })
  @ApiProblem(400, 'Malformed or invalid input (`validation-failed`), or your own email (`cannot-share-with-self`)', {
    type: 'cannot-share-with-self',
    detail: 'You own this task; share it with someone else',
    instance: TASK_EXAMPLE,
    errors: [{ field: 'email', message: 'email is your own' }],
  })
  @OWNER_ONLY
  @ApiProblem(404, 'No task with this id that you can see (`not-found`), or no account with this email (`user-not-found`)', {
    type: 'user-not-found',
    detail: 'No account has this email',
    instance: TASK_EXAMPLE,
  })
  @ApiProblem(
    409,
    'The account is disabled (`account-disabled`), already has this role (`already-shared`), or the task has 100 grants (`share-limit-reached`)',
    {
      type: 'already-shared',
      detail: 'This task is already shared with this user as editor; nothing was changed',
      instance: TASK_EXAMPLE,
    },
  )
  async grant(
    @CurrentUser() user: AuthUser,
    @IdParam('id', taskNotFound) id: string,
    @Body() body: ShareTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShareDto> {
    const { share, created } = await this.shares.grant(user, id, body.email, body.role);
    if (created) reply.status(201).header('location', `/v1/tasks/${id}/shares/${share.user.id}`);
    else reply.status(200);
    return share;
  }

  @Get(':userId')
  @RequiresTaskAccess('share')
  @ApiOperation({ summary: 'One grant of the task', description: 'Its owner only.' })
  @TASK_ID
  @USER_ID
  @ApiOkResponse({ type: ShareDto })
  @OWNER_ONLY
  @ApiProblem(404, 'No task with this id that you can see (`not-found`), or it is not shared with this user (`share-not-found`)', {
    type: 'share-not-found',
    detail: 'This task is not shared with this user',
    instance: `${TASK_EXAMPLE}/019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f71`,
  })
  findOne(@IdParam('id', taskNotFound) id: string, @IdParam('userId', shareNotFound) userId: string): Promise<ShareDto> {
    return this.shares.findOne(id, userId);
  }

  @Delete(':userId')
  @HttpCode(204)
  // Naming oneself is leaving (a grantee's right); naming anyone else is revoking (the owner's).
  @RequiresTaskAccess((request) => (request.params.userId?.toLowerCase() === request.user?.id ? 'leave' : 'share'))
  @ApiOperation({
    summary: 'Revoke a grant, or leave a shared task',
    description:
      'The owner revokes anyone; a grantee leaves by naming themself (their own user id), and may not remove anyone else (403). ' +
      "The task leaves the grantee's list at once and their change feed gets a tombstone for it.",
  })
  @TASK_ID
  @USER_ID
  @ApiNoContentResponse({ description: 'Revoked (or left)' })
  @ApiProblem(403, 'A grantee naming someone else (`forbidden`), or the owner naming themself', {
    type: 'forbidden',
    detail: 'Only the owner can see or change who has access to this task',
    instance: `${TASK_EXAMPLE}/019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f71`,
  })
  @ApiProblem(404, 'No task with this id that you can see (`not-found`), or it is not shared with this user (`share-not-found`)', {
    type: 'share-not-found',
    detail: 'This task is not shared with this user',
    instance: `${TASK_EXAMPLE}/019a8f2e-6c1d-7b3a-9f10-2b7c4d5e6f71`,
  })
  async revoke(@CurrentUser() user: AuthUser, @IdParam('id', taskNotFound) id: string, @IdParam('userId', shareNotFound) userId: string): Promise<void> {
    await this.shares.revoke(user, id, userId);
  }
}
