import { SetMetadata } from '@nestjs/common';
import type { Role } from './auth-user';

export const ROLES_KEY = 'taskwright:roles';

/** Restricts a route to callers with one of these roles (403 for others). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);
