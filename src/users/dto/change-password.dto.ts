import { IsString, Length, MaxLength, MinLength } from 'class-validator';

export class ChangePasswordDto {
  /**
   * The password in use now.
   * @example "correct horse battery staple"
   */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  currentPassword: string;

  /**
   * The new password: 10 to 128 characters.
   * @example "a longer passphrase than before"
   */
  @IsString()
  @Length(10, 128)
  newPassword: string;
}
