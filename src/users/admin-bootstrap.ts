import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UsersService } from './users.service';

export const BOOTSTRAP_ADMIN_NAME = 'Administrator';

/** ADMIN_EMAIL/ADMIN_PASSWORD: the first admin, created or promoted at every start (idempotent). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (adminEmail === undefined || adminPassword === undefined) return;
    const outcome = await this.users.ensureAdmin({ email: adminEmail, password: adminPassword, name: BOOTSTRAP_ADMIN_NAME });
    if (outcome === 'created') this.logger.log('created the admin account from ADMIN_EMAIL');
    if (outcome === 'promoted') this.logger.log('promoted the ADMIN_EMAIL account to admin (its password is unchanged)');
  }
}
