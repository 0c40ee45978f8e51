import type { TaskDto, TombstoneDto } from './dto/task.dto';
import type { TaskRow } from './tasks.repository';

export function toTaskDto(row: TaskRow): TaskDto {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    dueAt: row.dueAt ? row.dueAt.toISOString() : null,
    tags: row.tags,
    ownerId: row.ownerId,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: row.completedAt ? row.completedAt.toISOString() : null,
    access: row.access,
  };
}

export function toTombstoneDto(id: string, deletedAt: Date): TombstoneDto {
  return { id, deleted: true, deletedAt: deletedAt.toISOString() };
}
