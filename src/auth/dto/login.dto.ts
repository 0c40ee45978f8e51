import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { Trim } from '../../common/trim';

export class LoginDto {
  /**
   * Matched in canonical form: trimmed, NFKC, case-folded (`ADA@example.com`, `ａｄａ@example.com` and
   * `ada@example.com` are one account).
   * @example "ada@example.com"
   */
  @Trim()
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** @example "correct horse battery staple" */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}
