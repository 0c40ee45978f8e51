import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { clearRefreshCookie, REFRESH_COOKIE, refreshTokenFromCookie, setRefreshCookie, TRANSPORT_HEADER, wantsRefreshCookie } from './refresh-cookie';
import { BodyLimit } from '../common/http/body-limit';
import { Public } from '../common/auth/public.decorator';
import { ApiDatabaseProblems, ApiProblems } from '../common/openapi/api-problems.decorator';
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
}
