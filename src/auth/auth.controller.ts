import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { clearRefreshCookie, REFRESH_COOKIE, refreshTokenFromCookie, setRefreshCookie, TRANSPORT_HEADER, wantsRefreshCookie } from './refresh-cookie';
import { BodyLimit } from '../common/http/body-limit';
import { Public } from '../common/auth/public.decorator';
import { ApiDatabaseProblems, ApiInvalidTokenProblem, ApiMailProblems, ApiProblems } from '../common/openapi/api-problems.decorator';
import { AcceptedDto, ForgotPasswordDto, ResetPasswordDto, TokenDto } from '../users/dto/account-recovery.dto';
import { toUserDto } from '../users/dto/user.dto';
import type { AuthUser } from '../common/auth/auth-user';
import { AuthService, type IssuedTokens, sessionNotFound } from './auth.service';
import { CurrentUser } from '../common/auth/current-user.decorator';
import { IdParam } from '../common/http/id-param.decorator';
import { LoginDto } from './dto/login.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { SessionListDto, toSessionDto } from './dto/session.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { LoginFailureLimitInterceptor } from './rate-limit/login-failure-limit.interceptor';
import { AuthRateLimit } from '../common/auth/auth-rate-limit.decorator';

function toTokenResponse(issued: IssuedTokens): TokenResponseDto {
  return {
    user: toUserDto(issued.user),
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    tokenType: 'Bearer',
    expiresIn: issued.expiresIn,
  };
}

const SET_COOKIE = {
  description: `Cookie mode only: \`${REFRESH_COOKIE}=<refreshToken>; Path=/; Max-Age=<seconds>; HttpOnly; Secure; SameSite=Strict\``,
  schema: { type: 'string' },
};

/** The opt-in request header of cookie mode, on the routes that issue refresh tokens. */
const ApiRefreshTransport = (): MethodDecorator =>
  ApiHeader({
    name: TRANSPORT_HEADER,
    required: false,
    enum: ['body', 'cookie'],
    description: `\`cookie\` (browser apps): the refresh token is set as the HttpOnly cookie ${REFRESH_COOKIE} and left out of the body. Default \`body\`.`,
  });

@ApiTags('auth')
@ApiDatabaseProblems()
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  /** The body, or in cookie mode the cookie and a body without the refresh token. */
  private respond(issued: IssuedTokens, request: FastifyRequest, reply: FastifyReply, fromCookie = false): TokenResponseDto {
    const response = toTokenResponse(issued);
    if (!fromCookie && !wantsRefreshCookie(request)) return response;
    setRefreshCookie(reply, issued.refreshToken, this.config.refreshTtlSeconds);
    const { refreshToken: _inTheCookie, ...rest } = response;
    return rest;
  }

  /**
   * Create an account (role `user`) and log in
   *
   * @remarks
   * Rate limited per email (AUTH_RATE_LIMIT_*) and per address (AUTH_REGISTER_IP_MAX). Unknown fields, such as
   * `role`, are refused with 400.
   */
  @Public()
  @AuthRateLimit('register')
  @Post('register')
  @BodyLimit(4096)
  @Header('Cache-Control', 'no-store')
  @ApiCreatedResponse({
    type: TokenResponseDto,
    description: 'Registered and logged in',
    headers: { Location: { description: 'The new account: /v1/users/me', schema: { type: 'string' } }, 'Set-Cookie': SET_COOKIE },
  })
  @ApiRefreshTransport()
  @ApiProblems(409)
  async register(
    @Body() body: RegisterDto,
    @Headers('user-agent') userAgent: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const issued = await this.auth.register(body, userAgent);
    reply.header('location', '/v1/users/me');
    return this.respond(issued, request, reply);
  }

  /**
   * Log in: opens a session
   *
   * @remarks
   * A wrong email and a wrong password get the same 401. A disabled account gets 403
   * `account-disabled`, but only with its correct password. Failed logins are limited per account
   * (AUTH_RATE_LIMIT_MAX) and per address (AUTH_LOGIN_IP_FAILURE_MAX); successful ones cost nothing.
   * Over a limit: 429 `rate-limited` with Retry-After, the same whether or not the account exists.
   */
  @Public()
  @AuthRateLimit('login')
  @UseInterceptors(LoginFailureLimitInterceptor)
  @Post('login')
  @BodyLimit(2048)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: TokenResponseDto, description: 'Logged in', headers: { 'Set-Cookie': SET_COOKIE } })
  @ApiRefreshTransport()
  @ApiProblems(401, 403)
  async login(
    @Body() body: LoginDto,
    @Headers('user-agent') userAgent: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    return this.respond(await this.auth.login(body.email, body.password, userAgent), request, reply);
  }

  /**
   * Exchange a refresh token for a new pair
   *
   * @remarks
   * The refresh token is single use. Presenting a spent one again answers 401
   * `token-reuse-detected` and revokes that whole session: every token of it stops working.
   * Rate limited per session (AUTH_RATE_LIMIT_MAX), never per address. In cookie mode send no body
   * (or no `refreshToken`): the __Host-taskwright-refresh cookie carries it, and the new one comes back as
   * that cookie.
   */
  @Public()
  @AuthRateLimit('refresh')
  @Post('refresh')
  @BodyLimit(1024)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: TokenResponseDto, description: 'A new access token and refresh token', headers: { 'Set-Cookie': SET_COOKIE } })
  @ApiRefreshTransport()
  @ApiBody({ type: RefreshDto, required: false, description: 'Required in body mode; in cookie mode send none (the cookie carries the token)' })
  @ApiProblems(401)
  async refresh(@Body() body: RefreshDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponseDto> {
    // carryRefreshCookie put the cookie's token into the body when the body had none.
    const fromCookie = body.refreshToken === refreshTokenFromCookie(request);
    return this.respond(await this.auth.refresh(body.refreshToken), request, reply, fromCookie);
  }

  /**
   * Log out: this session's access and refresh tokens stop working at once
   *
   * @remarks
   * The session is revoked on every instance before the 204 is sent; the caller's other sessions
   * stay. Logging out twice is a 401 the second time (the token's session has ended).
   */
  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiNoContentResponse({
    description: 'Logged out',
    headers: { 'Set-Cookie': { ...SET_COOKIE, description: 'When the refresh cookie was sent: it is cleared (Max-Age=0)' } },
  })
  @ApiProblems(401)
  async logout(@CurrentUser() caller: AuthUser, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(caller);
    if (refreshTokenFromCookie(request) !== undefined) clearRefreshCookie(reply);
  }

  /**
   * The caller's live sessions, newest first
   *
   * @remarks
   * One session per login (device): when it was opened, last used and ends, its user agent, and
   * `current` for the session of this access token. Revoke the ones you do not recognise.
   */
  @Get('sessions')
  @ApiBearerAuth('bearer')
  @ApiOkResponse({ type: SessionListDto })
  @ApiProblems(401)
  async listSessions(@CurrentUser() caller: AuthUser): Promise<SessionListDto> {
    const sessions = await this.auth.listSessions(caller);
    return { data: sessions.map((session) => toSessionDto(session, caller.sessionId)) };
  }

  /**
   * Revoke one of the caller's sessions (the current one too): its tokens stop working at once
   *
   * @remarks
   * Another user's session, or one already ended, is 404 like an unknown id.
   */
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(401, 404)
  async revokeSession(@CurrentUser() caller: AuthUser, @IdParam('id', sessionNotFound) id: string): Promise<void> {
    await this.auth.revokeSession(caller, id);
  }

  /**
   * Revoke every session of the caller except the current one ("log out everywhere else")
   *
   * @remarks
   * Their access and refresh tokens stop working at once, on every instance; this session stays.
   */
  @Delete('sessions')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiNoContentResponse({ description: 'Every other session revoked' })
  @ApiProblems(401)
  async revokeOtherSessions(@CurrentUser() caller: AuthUser): Promise<void> {
    await this.auth.revokeOtherSessions(caller);
  }

  /**
   * Forgot password: mail a reset link
   *
   * @remarks
   * Always 202 with the same body, and in about the same time, whether or not an account uses
   * this address: the answer never tells. When one does (and is not disabled), it gets a link to
   * PUBLIC_APP_URL/reset-password?token=…, single-use, valid PASSWORD_RESET_TTL_SECONDS (30 minutes
   * by default); asking again voids the previous link. Rate limited per email (AUTH_RATE_LIMIT_MAX)
   * and per address (AUTH_REGISTER_IP_MAX).
   */
  @Public()
  @AuthRateLimit('recovery')
  @Post('password/forgot')
  @BodyLimit(1024)
  @HttpCode(202)
  @Header('Cache-Control', 'no-store')
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'Accepted: a mail is sent if an account uses this address' })
  @ApiMailProblems()
  async forgotPassword(@Body() body: ForgotPasswordDto): Promise<AcceptedDto> {
    await this.auth.forgotPassword(body.email);
    return { message: 'If an account uses this address, a mail with a link to reset its password is on its way.' };
  }

  /**
   * Reset the password with the token of a reset link
   *
   * @remarks
   * Sets the new password, ends every session of the account on every instance (log in again),
   * and mails a notice to the account's address. A token that is unknown, already used, expired,
   * or superseded by a newer one is 400 `invalid-token`. Rate limited per address.
   */
  @Public()
  @AuthRateLimit('token')
  @Post('password/reset')
  @BodyLimit(1024)
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @ApiNoContentResponse({ description: 'The password is changed; every session of the account has ended' })
  @ApiInvalidTokenProblem('/v1/auth/password/reset')
  @ApiMailProblems()
  async resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    await this.auth.resetPassword(body.token, body.newPassword);
  }

  /**
   * Verify the account's email with the token of a verification link
   *
   * @remarks
   * Registration mails the link (PUBLIC_APP_URL/verify-email?token=…); the account's
   * `emailVerified` becomes true. No access token needed: the link may be opened on another
   * device. A used, expired or superseded token is 400 `invalid-token`.
   */
  @Public()
  @AuthRateLimit('token')
  @Post('email/verify')
  @BodyLimit(1024)
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The email address is verified' })
  @ApiInvalidTokenProblem('/v1/auth/email/verify')
  @ApiMailProblems()
  async verifyEmail(@Body() body: TokenDto): Promise<void> {
    await this.auth.verifyEmail(body.token);
  }

  /**
   * Send the caller a new verification link
   *
   * @remarks
   * The previous link stops working. Nothing is sent when the address is already verified; the
   * answer is the same. Rate limited per user (AUTH_RATE_LIMIT_MAX) and per address.
   */
  @AuthRateLimit('mail')
  @Post('email/verify/resend')
  @HttpCode(202)
  @ApiBearerAuth('bearer')
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'Accepted: a new link is on its way unless the address is already verified' })
  @ApiProblems(401)
  @ApiMailProblems()
  async resendVerification(@CurrentUser() caller: AuthUser): Promise<AcceptedDto> {
    await this.auth.resendVerification(caller);
    return { message: 'Unless the address is already verified, a new verification link is on its way.' };
  }
}
