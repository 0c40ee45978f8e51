import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { Trim } from '../../common/trim';

export class RegisterDto {
  /**
   * Unique in canonical form (trimmed, NFKC, case-folded); shown as given (trimmed). At most 254 characters.
   * @example "ada@example.com"
   */
  @Trim()
  @IsEmail()
  @MaxLength(254)
  email: string;

  /**
   * 10 to 128 characters.
   * @example "correct horse battery staple"
   */
  @IsString()
  @Length(10, 128)
  password: string;

  /**
   * Display name, 1 to 100 characters (trimmed).
   * @example "Ada Lovelace"
   */
  @Trim()
  @IsString()
  @Length(1, 100)
  name: string;
}
