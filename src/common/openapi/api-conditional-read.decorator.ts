import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';

/**
 * Documents what the global HttpCachingInterceptor does to authenticated GETs: an ETag on
 * the 200, and 304 without a body when If-None-Match names it.
 */
export const ApiConditionalRead = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier response: 304 when it is still current' }),
    ApiResponse({ status: 304, description: 'Not modified: If-None-Match names the current ETag' }),
  );
