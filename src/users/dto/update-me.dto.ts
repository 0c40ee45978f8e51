import { IsOptional, IsString, Length } from 'class-validator';
import { Trim } from '../../common/trim';

/** The fields a user may change on their own account. Anything else (role, email) is refused with 400. */
export class UpdateMeDto {
  /**
   * Display name, 1 to 100 characters (trimmed).
   * @example "Ada King"
   */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  name?: string;
}
