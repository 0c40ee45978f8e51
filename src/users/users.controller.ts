import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user';
import { CurrentUser } from '../common/auth/current-user.decorator';
import { Roles } from '../common/auth/roles.decorator';
import { IdParam } from '../common/http/id-param.decorator';
import { AuthRateLimit } from '../common/auth/auth-rate-limit.decorator';
import { ApiDatabaseProblems, ApiInvalidTokenProblem, ApiMailProblems, ApiProblem, ApiProblems } from '../common/openapi/api-problems.decorator';
import { AccountRecoveryService } from './account-recovery.service';
import { AcceptedDto, ChangeEmailDto, TokenDto } from './dto/account-recovery.dto';
import { BodyLimit } from '../common/http/body-limit';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto';
import { ChangePasswordDto } from './dto/change-password.dto';
import { ListUsersQueryDto, USERS_PAGE_DEFAULT, UserPageDto } from './dto/list-users.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { userNotFound, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth('bearer')
@ApiDatabaseProblems()
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly recovery: AccountRecoveryService,
  ) {}

  /**
   * The caller's account
   *
   * @remarks
   * Id, email (as typed at registration), name, role and timestamps; never a password hash.
   */
  @Get('me')
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(401)
  async getMe(@CurrentUser() caller: AuthUser): Promise<UserDto> {
    return toUserDto(await this.users.findById(caller.id));
  }

  /**
   * Change the caller's name
   *
   * @remarks
   * The name is the only field a user may change here; any other field, such as `role` or `email`,
   * is refused with 400 and nothing changes. The password has its own route.
   */
  @Patch('me')
  @BodyLimit(1024)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(401)
  async updateMe(@CurrentUser() caller: AuthUser, @Body() body: UpdateMeDto): Promise<UserDto> {
    return toUserDto(await this.users.updateProfile(caller.id, body));
  }

  /**
   * Delete the caller's account, its sessions and its tasks
   *
   * @remarks
   * Irreversible. Every token of the account stops working at once, on every instance.
   */
  @Delete('me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; every token of the account stops working' })
  @ApiProblems(401)
  async deleteMe(@CurrentUser() caller: AuthUser): Promise<void> {
    await this.users.delete(caller.id);
  }

  /**
   * Change the caller's password
   *
   * @remarks
   * Every other session of the account is revoked; this one stays. A wrong `currentPassword` is a
   * 400 `wrong-current-password` naming the field. Rate limited per user (AUTH_RATE_LIMIT_MAX).
   */
  @Post('me/password')
  @BodyLimit(2048)
  @HttpCode(204)
  @AuthRateLimit('password')
  @ApiNoContentResponse({ description: 'Changed; every other session revoked' })
  @ApiProblems(401)
  async changePassword(@CurrentUser() caller: AuthUser, @Body() body: ChangePasswordDto): Promise<void> {
    await this.users.changePassword(caller, body.currentPassword, body.newPassword);
  }

  /**
   * Change the caller's email: mail a confirmation link to the new address
   *
   * @remarks
   * Checks `currentPassword` (400 `wrong-current-password`), then mails a link to the new address
   * (PUBLIC_APP_URL/confirm-email?token=…, valid EMAIL_CHANGE_TTL_SECONDS) and a notice to the
   * current one. Nothing changes until the link is used (`POST /v1/users/me/email/confirm`). When
   * the new address already has an account, its owner is told instead; the answer is the same, so
   * it never reveals whether an account exists. Rate limited per user and per address.
   */
  @Post('me/email')
  @BodyLimit(2048)
  @HttpCode(202)
  @AuthRateLimit('mail')
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'Accepted: a confirmation link is on its way to the new address' })
  @ApiProblem(400, 'Malformed input (`validation-failed`), a wrong current password (`wrong-current-password`), or the current address (`same-email`)', {
    type: 'wrong-current-password',
    detail: 'The current password is wrong',
    instance: '/v1/users/me/email',
    errors: [{ field: 'currentPassword', message: 'currentPassword is not the current password' }],
  })
  @ApiProblems(401)
  @ApiMailProblems()
  async changeEmail(@CurrentUser() caller: AuthUser, @Body() body: ChangeEmailDto): Promise<AcceptedDto> {
    await this.recovery.requestEmailChange(caller, body.newEmail, body.currentPassword);
    return { message: 'A link to confirm the new address is on its way to it; the address changes once it is used.' };
  }

  /**
   * Confirm an email change with the token of its link
   *
   * @remarks
   * The account moves to the new address, now verified; every other session of the account ends
   * (this one stays), and links mailed to the old address stop working. The token must be the
   * caller's own: anyone else's, or one used, expired or superseded, is 400 `invalid-token`. 409
   * `email-taken` when another account took the address in the meantime.
   */
  @Post('me/email/confirm')
  @BodyLimit(1024)
  @HttpCode(200)
  @AuthRateLimit('token')
  @ApiOkResponse({ type: UserDto, description: 'The account, with its new address' })
  @ApiInvalidTokenProblem('/v1/users/me/email/confirm')
  @ApiProblems(401, 409)
  @ApiMailProblems()
  async confirmEmailChange(@CurrentUser() caller: AuthUser, @Body() body: TokenDto): Promise<UserDto> {
    await this.recovery.confirmEmailChange(caller, body.token);
    return toUserDto(await this.users.findById(caller.id));
  }

  /**
   * List accounts (admin)
   *
   * @remarks
   * Newest first, `limit` per page (1 to 100, default 20); pass `nextCursor` back as `cursor` for
   * the next page. `email` is a case-insensitive prefix; `role` an exact role.
   */
  @Get()
  @Roles('admin')
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListUsersQueryDto): Promise<UserPageDto> {
    const page = await this.users.list({
      limit: query.limit ?? USERS_PAGE_DEFAULT,
      cursor: query.cursor,
      emailPrefix: query.email,
      role: query.role,
    });
    return { data: page.users.map(toUserDto), nextCursor: page.nextCursor };
  }

  /**
   * One account (admin)
   *
   * @remarks
   * A malformed or unknown id is 404; a caller who is not an admin gets 403.
   */
  @Get(':id')
  @Roles('admin')
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(401, 403, 404)
  async get(@IdParam('id', userNotFound) id: string): Promise<UserDto> {
    return toUserDto(await this.users.findById(id));
  }

  /**
   * Change an account's role or disabled flag (admin)
   *
   * @remarks
   * Disabling, or demoting an admin, revokes all of that user's sessions at once. Admins cannot
   * disable or demote themselves (403 `cannot-change-own-access`).
   */
  @Patch(':id')
  @BodyLimit(1024)
  @Roles('admin')
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(401, 403, 404)
  async update(@CurrentUser() admin: AuthUser, @IdParam('id', userNotFound) id: string, @Body() body: AdminUpdateUserDto): Promise<UserDto> {
    return toUserDto(await this.users.updateByAdmin(admin, id, body));
  }

  /**
   * Delete an account, its sessions and its tasks (admin)
   *
   * @remarks
   * Irreversible; that user's tokens stop working at once, on every instance. An unknown id is 404.
   */
  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(401, 403, 404)
  async delete(@IdParam('id', userNotFound) id: string): Promise<void> {
    await this.users.delete(id);
  }
}
