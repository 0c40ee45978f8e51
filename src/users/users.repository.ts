import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, QueryFailedError, type Repository } from 'typeorm';
import type { Role } from '../common/auth/auth-user';
import { User } from './user.entity';

/** A page of the admin list, newest first: everything is already in canonical form. */
interface UserPageQuery {
  /** Rows to read (the page size plus one, to learn whether another page exists). */
  fetch: number;
  /** Only ids below this one (the last id of the previous page). */
  beforeId?: string;
  emailCanonicalPrefix?: string;
  role?: Role;
}

const UNIQUE_VIOLATION = '23505';

/** The fields of a new account, the email in both forms. */
type NewUser = Pick<User, 'id' | 'email' | 'emailCanonical' | 'name' | 'passwordHash' | 'role'>;

/** LIKE treats `%`, `_` and the escape character itself specially; a prefix filter must not. */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * The users table, through TypeORM's repository and query builder. The password hash is never
 * selected except by the two methods that say so in their name.
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Runs `work` in one transaction; pass its manager to the methods that take one. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.users.manager.transaction(work);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(emailCanonical: string): Promise<User | null> {
    return this.users.createQueryBuilder('u').where('u.emailCanonical = :email', { email: emailCanonical }).getOne();
  }

  findWithPasswordHashByEmail(emailCanonical: string): Promise<User | null> {
    return this.users.createQueryBuilder('u').addSelect('u.passwordHash').where('u.emailCanonical = :email', { email: emailCanonical }).getOne();
  }

  /**
   * Moves the account to a new, verified address; false when another account has it (checked
   * first, and by the unique index for a concurrent taker, inside a savepoint so the caller's
   * transaction survives).
   */
  async changeEmail(manager: EntityManager, id: string, email: string, emailCanonical: string): Promise<boolean> {
    const taken = await manager.createQueryBuilder(User, 'u').where('u.emailCanonical = :email AND u.id <> :id', { email: emailCanonical, id }).getCount();
    if (taken > 0) return false;
    try {
      await manager.transaction((savepoint) => savepoint.update(User, { id }, { email, emailCanonical, emailVerified: true }));
      return true;
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: unknown } | undefined)?.code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  findWithPasswordHashById(id: string): Promise<User | null> {
    return this.users.createQueryBuilder('u').addSelect('u.passwordHash').where('u.id = :id', { id }).getOne();
  }

  /** The row locked FOR UPDATE until the transaction of `manager` ends. */
  findForUpdate(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** False when there is no such user. */
  async update(
    id: string,
    changes: Partial<Pick<User, 'name' | 'role' | 'disabled' | 'passwordHash' | 'emailVerified'>>,
    manager = this.users.manager,
  ): Promise<boolean> {
    const result = await manager.update(User, { id }, changes);
    return result.affected !== 0;
  }

  /** False when there is no such user. */
  async delete(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager.delete(User, { id });
    return result.affected !== 0;
  }

  /** Newest first, keyset-paginated on the (time-ordered) id. */
  page(query: UserPageQuery): Promise<User[]> {
    const builder = this.users.createQueryBuilder('u').orderBy('u.id', 'DESC').limit(query.fetch);
    if (query.beforeId !== undefined) builder.andWhere('u.id < :before', { before: query.beforeId });
    if (query.emailCanonicalPrefix !== undefined) {
      builder.andWhere('u.emailCanonical LIKE :pattern', { pattern: `${escapeLikePattern(query.emailCanonicalPrefix)}%` });
    }
    if (query.role !== undefined) builder.andWhere('u.role = :role', { role: query.role });
    return builder.getMany();
  }

  /**
   * False when the email is taken. ON CONFLICT DO NOTHING rather than catching the unique
   * violation: a failed statement would be logged by TypeORM with its parameters, the hash included.
   */
  async insertUnlessEmailTaken(user: NewUser, manager = this.users.manager): Promise<boolean> {
    const result = await manager.createQueryBuilder().insert().into(User).values(user).orIgnore().execute();
    const inserted: unknown = result.raw;
    return Array.isArray(inserted) && inserted.length > 0;
  }
}
