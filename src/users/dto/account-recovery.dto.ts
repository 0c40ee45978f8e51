import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Trim } from '../../common/trim';

/** A mailed token: 43 URL-safe characters (256 random bits). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class ForgotPasswordDto {
  /**
   * The account's email, in any spelling of its canonical form.
   * @example "ada@example.com"
   */
  @Trim()
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class ResetPasswordDto {
  /**
   * The token of the reset link (`/reset-password?token=…`).
   * @example "q3J1f0c2VbqS3Yl9oTt8WmZ0nq1kX4cV6rB2yH7eL5a"
   */
  @IsString()
  @Matches(TOKEN_PATTERN, { message: 'token must be the token of a mailed link' })
  token: string;

  /**
   * The new password: 10 to 128 characters.
   * @example "a longer passphrase than before"
   */
  @IsString()
  @Length(10, 128)
  newPassword: string;
}

export class TokenDto {
  /**
   * The token of the mailed link (`/verify-email?token=…`, `/confirm-email?token=…`).
   * @example "q3J1f0c2VbqS3Yl9oTt8WmZ0nq1kX4cV6rB2yH7eL5a"
   */
  @IsString()
  @Matches(TOKEN_PATTERN, { message: 'token must be the token of a mailed link' })
  token: string;
}

/** The body of a 202: the same whatever happened behind it. */
export class AcceptedDto {
  /** @example "If an account uses this address, a mail is on its way." */
  message: string;
}

export class ChangeEmailDto {
  /**
   * The address to move the account to (trimmed); it changes once this address confirms.
   * @example "ada@new.example.com"
   */
  @Trim()
  @IsEmail()
  @MaxLength(254)
  newEmail: string;

  /**
   * The password in use now.
   * @example "correct horse battery staple"
   */
  @IsString()
  @Length(1, 128)
  currentPassword: string;
}
