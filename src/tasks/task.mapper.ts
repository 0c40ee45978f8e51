import type { TaskDto, TombstoneDto } from './dto/task.dto';
import type { TaskRow } from './task.types';

export function toTaskDto(row: TaskRow): TaskDto {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    dueAt: row.due_at ? row.due_at.toISOString() : null,
    tags: row.tags,
    ownerId: row.owner_id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at ? row.completed_at.toISOString() : null,
  };
}

export function toTombstoneDto(id: string, deletedAt: Date): TombstoneDto {
  return { id, deleted: true, deletedAt: deletedAt.toISOString() };
}
