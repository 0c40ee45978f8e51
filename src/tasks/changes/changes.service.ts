import { Injectable } from '@nestjs/common';
import { UserCacheService } from '../../common/cache/user-cache.service';
import { AppConfig } from '../../config/app-config';
import type { ListChangesQueryDto } from '../dto/list-changes-query.dto';
import type { ChangesPageDto } from '../dto/task.dto';
import { toTaskDto, toTombstoneDto } from '../task.mapper';
import { ChangeTokenCodec, nextPosition, type ChangePosition } from './change-token';
import { type ChangeRow, ChangesRepository, type ChangesQueryRow } from './changes.repository';

/** GET /v1/tasks/changes: what changed in a user's tasks since a position, deletions included. */
@Injectable()
export class ChangesService {
  private readonly changeTokens: ChangeTokenCodec;

  constructor(
    private readonly changes: ChangesRepository,
    private readonly userCache: UserCacheService,
    config: AppConfig,
  ) {
    this.changeTokens = new ChangeTokenCodec(config.jwtSecret);
  }

  /** Everything that changed in the owner's tasks after `since`, deletions included (see CHANGES_SQL). */
  async list(ownerId: string, query: ListChangesQueryDto): Promise<ChangesPageDto> {
    const since = this.changeTokens.decode(query.since);
    const rows = await this.changes.page(ownerId, since, query.limit);
    const first = rows[0];
    if (first === undefined) throw new Error('the change feed query returned no horizon row');
    const delivered = rows.filter((row): row is ChangesQueryRow & ChangeRow => row.id !== undefined && row.id !== null);
    const lastRow = delivered.at(-1);
    const last: ChangePosition | undefined = lastRow ? { xid: BigInt(lastRow.changeXid), seq: BigInt(lastRow.changeSeq) } : undefined;
    const next = nextPosition(since, BigInt(first.horizon), last, delivered.length === query.limit);
    if (first.pending) {
      // This answer is provisional: committed changes wait above the horizon and will be
      // deliverable as soon as older transactions (possibly other users') end, which invalidates
      // nothing. Moving this user's cache generation on keeps this answer out of the cache (it is
      // stored under the generation read before the handler ran), so the next poll reads afresh.
      await this.userCache.invalidate(ownerId);
    }
    return {
      changes: delivered.map((row) => (row.deletedAt ? toTombstoneDto(row.id, row.deletedAt) : toTaskDto(row))),
      next: this.changeTokens.encode(next),
    };
  }
}
