import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'taskwright:isPublic';

/** Opens a route to callers without an access token; everything else requires one. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
