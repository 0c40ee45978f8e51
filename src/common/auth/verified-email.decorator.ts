import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const VERIFIED_EMAIL_FOR_WRITES = 'taskwright:verifiedEmailForWrites';
/** Read and removed by common/openapi, which documents the 403 on the writes. */
export const VERIFIED_EMAIL_EXTENSION = 'x-taskwright-verified-email';

/**
 * The writes (POST, PUT, PATCH, DELETE) of this controller need a verified email when
 * REQUIRE_VERIFIED_EMAIL_FOR_WRITES is on: 403 `email-not-verified` otherwise. A marker only: the
 * guard lives in auth.
 */
export const VerifiedEmailForWrites = (): ClassDecorator =>
  applyDecorators(SetMetadata(VERIFIED_EMAIL_FOR_WRITES, true), ApiExtension(VERIFIED_EMAIL_EXTENSION, true));
