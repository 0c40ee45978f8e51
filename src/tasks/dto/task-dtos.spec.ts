import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationProblem } from '../../common/problem/problem.exception';
import { createValidationPipe } from '../../common/problem/validation';
import { CreateTaskDto } from './create-task.dto';
import { ListChangesQueryDto } from './list-changes-query.dto';
import { ListTasksQueryDto } from './list-tasks-query.dto';
import { UpdateTaskDto } from './update-task.dto';

const pipe = createValidationPipe();

async function accept<T>(metatype: new () => T, value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<T> {
  return (await pipe.transform(value, { type, metatype })) as T;
}

async function fieldErrors(metatype: new () => unknown, value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<string[]> {
  try {
    await pipe.transform(value, { type, metatype });
  } catch (error) {
    if (error instanceof ValidationProblem) return (error.errors ?? []).map((e) => e.field);
    throw error;
  }
  return [];
}

describe('CreateTaskDto', () => {
  it('trims the title, deduplicates and trims tags', async () => {
    const dto = await accept(CreateTaskDto, { title: '  Buy milk ', tags: ['a', ' a', 'b', 'a'] });
    expect(dto.title).toBe('Buy milk');
    expect(dto.tags).toEqual(['a', 'b']);
  });

  it('accepts the limits exactly', async () => {
    const dto = await accept(CreateTaskDto, {
      title: 'x'.repeat(200),
      description: 'd'.repeat(10_000),
      tags: Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(50, 't')),
      dueAt: '2026-12-01T17:00:00.123+01:00',
      status: 'done',
      priority: 'high',
    });
    expect(dto.tags).toHaveLength(20);
  });

  it('accepts the first and last instants of the years 1000 to 9999', async () => {
    expect(await fieldErrors(CreateTaskDto, { title: 'x', dueAt: '1000-01-01T00:00:00Z' })).toEqual([]);
    expect(await fieldErrors(CreateTaskDto, { title: 'x', dueAt: '9999-12-31T23:59:59.999Z' })).toEqual([]);
  });

  it('counts tags after deduplication', async () => {
    const tags = [...Array.from({ length: 20 }, (_, i) => `t${i}`), 't0', 't1'];
    expect(await fieldErrors(CreateTaskDto, { title: 'x', tags })).toEqual([]);
  });

  it('lists every bad field at once', async () => {
    const fields = await fieldErrors(CreateTaskDto, {
      title: '   ',
      description: 'd'.repeat(10_001),
      status: 'waiting',
      priority: 'urgent',
      dueAt: '2026-02-30T10:00:00Z',
      tags: ['ok', '', 'x'.repeat(51)],
      ownerId: '0193a1ef-0000-7000-8000-000000000001',
    });
    expect(new Set(fields)).toEqual(new Set(['title', 'description', 'status', 'priority', 'dueAt', 'tags', 'ownerId']));
  });

  it.each([
    [{}, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'],
    [{ title: 42 }, 'title'],
    [{ title: null }, 'title'],
    [{ title: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    [{ title: 'x', tags: 'work' }, 'tags'],
    [{ title: 'x', tags: [1] }, 'tags'],
    [{ title: 'x', dueAt: '2026-12-01' }, 'dueAt'],
    [{ title: 'x', dueAt: '2026-12-01T17:00:00' }, 'dueAt'],
    [{ title: 'x', dueAt: 'tomorrow' }, 'dueAt'],
    [{ title: 'x', dueAt: 1764608400000 }, 'dueAt'],
    [{ title: 'x', dueAt: '0000-01-01T00:00:00Z' }, 'dueAt'],
    [{ title: 'a\u0000b' }, 'title'],
    [{ title: 'x', description: '\u0000' }, 'description'],
    [{ title: 'x', tags: ['ok', 'n\u0000l'] }, 'tags.1'],
    [{ title: 'x', dueAt: '1000-01-01T00:30:00+01:00' }, 'dueAt'],
    [{ title: 'x', dueAt: '9999-12-31T23:59:59-01:00' }, 'dueAt'],
    [{ title: 'x', version: 5 }, 'version'],
    [{ title: 'x', id: '0193a1f0-7b8c-7def-8123-456789abcdef' }, 'id'],
  ])('rejects %j on %s', async (body, field) => {
    expect(await fieldErrors(CreateTaskDto, body)).toContain(field);
  });
});

describe('UpdateTaskDto', () => {
  it('lets null clear description and dueAt', async () => {
    const dto = await accept(UpdateTaskDto, { description: null, dueAt: null });
    expect(dto.description).toBeNull();
    expect(dto.dueAt).toBeNull();
  });

  it('refuses NUL characters, which PostgreSQL cannot store', async () => {
    expect(new Set(await fieldErrors(UpdateTaskDto, { title: 'a\u0000', description: '\u0000', tags: ['\u0000'] }))).toEqual(
      new Set(['title', 'description', 'tags.0']),
    );
  });

  it.each(['title', 'status', 'priority', 'tags'])('refuses null for %s', async (field) => {
    expect(new Set(await fieldErrors(UpdateTaskDto, { [field]: null }))).toEqual(new Set([field]));
  });

  it('leaves absent fields absent', async () => {
    const dto = await accept(UpdateTaskDto, { priority: 'low' });
    expect(dto.title).toBeUndefined();
    expect(dto.description).toBeUndefined();
  });
});

describe('ListTasksQueryDto', () => {
  it('applies defaults and converts limit', async () => {
    const query = await accept(ListTasksQueryDto, {}, 'query');
    expect(query).toMatchObject({ sort: '-createdAt', limit: 20 });
    expect((await accept(ListTasksQueryDto, { limit: '100', sort: 'dueAt' }, 'query')).limit).toBe(100);
  });

  it('treats an empty search as no search', async () => {
    expect((await accept(ListTasksQueryDto, { q: '  ' }, 'query')).q).toBeUndefined();
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: '1.5' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ limit: '' }, 'limit'],
    [{ sort: 'title' }, 'sort'],
    [{ sort: '-createdAt,title' }, 'sort'],
    [{ status: 'open' }, 'status'],
    [{ status: ['todo', 'done'] }, 'status'],
    [{ dueBefore: 'yesterday' }, 'dueBefore'],
    [{ dueAfter: '2026-13-01T00:00:00Z' }, 'dueAfter'],
    [{ ownerId: 'me' }, 'ownerId'],
    [{ tag: 'x'.repeat(51) }, 'tag'],
    [{ q: 'x'.repeat(201) }, 'q'],
    [{ q: 'a\u0000b' }, 'q'],
    [{ tag: 'a\u0000b' }, 'tag'],
    [{ dueBefore: '0000-01-01T00:00:00Z' }, 'dueBefore'],
    [{ page: '2' }, 'page'],
  ])('rejects %j on %s', async (query, field) => {
    expect(await fieldErrors(ListTasksQueryDto, query, 'query')).toContain(field);
  });
});

describe('ListChangesQueryDto', () => {
  it('defaults to 500 changes and allows up to 1000', async () => {
    expect((await accept(ListChangesQueryDto, {}, 'query')).limit).toBe(500);
    expect((await accept(ListChangesQueryDto, { limit: '1000', since: '' }, 'query')).limit).toBe(1000);
    expect(await fieldErrors(ListChangesQueryDto, { limit: '1001' }, 'query')).toEqual(['limit']);
  });
});
