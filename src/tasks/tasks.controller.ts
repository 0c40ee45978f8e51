import { VerifiedEmailForWrites } from '../common/auth/verified-email.decorator';
import { Body, Controller, Delete, Get, Headers, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser } from '../common/auth/current-user.decorator';
import { InvalidatesUserCache, UserCached } from '../common/cache/cache.decorators';
import { BodyLimit } from '../common/http/body-limit';
import { ApiIdempotencyKey, IdempotencyKey } from '../common/idempotency/idempotency-key.decorator';
import { ApiDatabaseProblems, ApiProblem, ApiProblems } from '../common/openapi/api-problems.decorator';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListChangesQueryDto } from './dto/list-changes-query.dto';
import { ListTasksQueryDto } from './dto/list-tasks-query.dto';
import { ChangesPageDto, TaskDto, TaskPageDto } from './dto/task.dto';
import { UpdateTaskDto } from './dto/update-task.dto';
import { preconditionFromIfMatch, taskEtag } from './task-etag';
import { taskNotFound } from './task-not-found';
import { IdParam } from '../common/http/id-param.decorator';
import { ChangesService } from './changes/changes.service';
import { TasksService } from './tasks.service';

/**
 * The largest task the DTO allows, every character four UTF-8 bytes (title 200, description
 * 10,000, 20 tags of 50: about 45 KB with the other fields), with headroom.
 */
const TASK_BODY_LIMIT_BYTES = 65_536;

const ETAG_HEADER = {
  description: 'Strong validator of this representation (changes with every change of the task); send it back in If-Match or If-None-Match',
  schema: { type: 'string', example: '"0193a1f0-7b8c-7def-8123-456789abcdef.3"' },
};
const LIST_ETAG_HEADER = {
  description: 'Validator of this response; send it back in If-None-Match to get 304 while nothing changed',
  schema: { type: 'string' },
};
const CACHE_CONTROL_HEADER = { description: '`private, no-cache`: store, but revalidate with If-None-Match', schema: { type: 'string' } };
const IF_MATCH = ApiHeader({
  name: 'If-Match',
  required: false,
  description:
    'The ETag you last read (or `*`). The write only happens if it is still current; otherwise 412 and nothing changes. ' +
    "A grantee's ETag names their access too: after a change of role it is no longer current (412). " +
    'Without If-Match the last write wins, and the write is never 412.',
});
const ID_PARAM = ApiParam({
  name: 'id',
  format: 'uuid',
  description: 'The task id. An id that is malformed, absent, deleted or of a task you cannot see is 404, always with the same body.',
});

@ApiTags('tasks')
@ApiBearerAuth('bearer')
@ApiProblems(401)
@ApiDatabaseProblems()
@VerifiedEmailForWrites()
@Controller('v1/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly feed: ChangesService,
  ) {}

  @Post()
  @BodyLimit(TASK_BODY_LIMIT_BYTES)
  @InvalidatesUserCache()
  @ApiOperation({
    summary: 'Create a task',
    description:
      'Answers 201 with the task, its `Location` and its `ETag`. With an `Idempotency-Key`, a retry of the same body within 24 h answers the first response again (`Idempotent-Replayed: true`, same id), and the same key with another body is 409.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({
    type: TaskDto,
    description: 'Created (or, for a repeated Idempotency-Key with the same body, the first response again)',
    headers: {
      Location: { description: 'The URL of the new task', schema: { type: 'string', example: '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef' } },
      ETag: ETAG_HEADER,
      'Idempotent-Replayed': {
        description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key',
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiProblems(400)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateTaskDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskDto> {
    const { task, replayed } = await this.tasks.create(user.id, body, idempotencyKey);
    reply.status(201).header('location', `/v1/tasks/${task.id}`).header('etag', taskEtag(task.id, task.version));
    if (replayed) reply.header('idempotent-replayed', 'true');
    return task;
  }

  @Get()
  @UserCached({ bypassWhenQueryHas: ['ownerId'] })
  @ApiOperation({
    summary: 'List tasks, one page at a time',
    description:
      'Everything you can see: your own tasks and those shared with you (`scope` narrows it), each with your `access`. ' +
      'Filters, sorts and search apply to both alike. ' +
      'Keyset pagination: pass `nextCursor` as `cursor` with the same sort, scope and filters until it is null. ' +
      'A cursor from another sort, scope or other filters, or an altered one, is 400.',
  })
  @ApiOkResponse({ type: TaskPageDto, headers: { ETag: LIST_ETAG_HEADER, 'Cache-Control': CACHE_CONTROL_HEADER } })
  @ApiProblems(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTasksQueryDto): Promise<TaskPageDto> {
    return this.tasks.list(user, query);
  }

  @Get('changes')
  @UserCached({ bypassWhenQueryHas: ['ownerId'] })
  @ApiOperation({
    summary: 'What changed since a position (offline sync)',
    description:
      'Tasks created or changed since `since` (their latest state) and tombstones of deleted ones, oldest change first. ' +
      'Tasks shared with you are in it too (a new grant or a change of role delivers the task again, with your new `access`), ' +
      'and a tombstone when your access ends (revoked, left, the task or its owner deleted). ' +
      'Keep calling with `next` while `changes` is not empty; then store `next` and poll with it later. ' +
      'No change is ever skipped, even when concurrent writes commit out of order.',
  })
  @ApiOkResponse({ type: ChangesPageDto, headers: { ETag: LIST_ETAG_HEADER, 'Cache-Control': CACHE_CONTROL_HEADER } })
  @ApiProblems(400)
  changes(@CurrentUser() user: AuthUser, @Query() query: ListChangesQueryDto): Promise<ChangesPageDto> {
    return this.feed.list(user.id, query);
  }

  @Get(':id')
  @UserCached({ bypassWhenQueryHas: ['ownerId'] })
  @ApiOperation({
    summary: 'Get one task',
    description:
      'Your own task or one shared with you, with its `ETag`; send it back as `If-None-Match` for a 304 while it is current, or as `If-Match` to update or delete it only if nobody changed it since. ' +
      'A task you cannot see is 404, like an unknown id.',
  })
  @ID_PARAM
  @ApiOkResponse({ type: TaskDto, headers: { ETag: ETAG_HEADER, 'Cache-Control': CACHE_CONTROL_HEADER } })
  @ApiProblems(404)
  async findOne(@CurrentUser() user: AuthUser, @IdParam('id', taskNotFound) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TaskDto> {
    const task = await this.tasks.findOne(user.id, id);
    reply.header('etag', taskEtag(task.id, task.version, task.access));
    return task;
  }

  // No @InvalidatesUserCache on PATCH and DELETE: TasksService invalidates everyone who can see
  // the task (the caller among them) in one write.
  @Patch(':id')
  @BodyLimit(TASK_BODY_LIMIT_BYTES)
  @ApiOperation({
    summary: 'Change some fields of a task',
    description:
      'By its owner or an editor it is shared with; a viewer gets 403. Absent fields are left alone; `description` and `dueAt` accept null. ' +
      'The owner and editors use If-Match the same way: of two concurrent changes from the same ETag exactly one wins.',
  })
  @ID_PARAM
  @IF_MATCH
  @ApiOkResponse({ type: TaskDto, headers: { ETag: ETAG_HEADER } })
  @ApiProblems(400, 404, 412)
  @ApiProblem(403, 'The task is shared with you as a viewer (`forbidden`)', {
    type: 'forbidden',
    detail: 'Your access to this task is read-only (viewer); ask its owner for editor access',
    instance: '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef',
  })
  async update(
    @CurrentUser() user: AuthUser,
    @IdParam('id', taskNotFound) id: string,
    @Body() body: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskDto> {
    const task = await this.tasks.update(user.id, id, body, preconditionFromIfMatch(ifMatch, id));
    reply.header('etag', taskEtag(task.id, task.version, task.access));
    return task;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a task',
    description:
      'By its owner only (403 for the users it is shared with). It disappears from every read and shows up as a tombstone in the change feed, ' +
      "its owner's and every grantee's.",
  })
  @ID_PARAM
  @IF_MATCH
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(404, 412)
  @ApiProblem(403, 'The task is shared with you; only its owner deletes it (`forbidden`)', {
    type: 'forbidden',
    detail: 'Only the owner can delete this task',
    instance: '/v1/tasks/0193a1f0-7b8c-7def-8123-456789abcdef',
  })
  async remove(@CurrentUser() user: AuthUser, @IdParam('id', taskNotFound) id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.tasks.remove(user.id, id, preconditionFromIfMatch(ifMatch, id));
  }
}
