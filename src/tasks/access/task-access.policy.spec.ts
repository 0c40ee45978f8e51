import { ProblemException } from '../../common/problem/problem.exception';
import { accessCondition, accessExpression, authorize, can, SHARE_ROLES, shareRolesAllowing, TASK_ACCESSES, type TaskAction } from './task-access.policy';

const ACTIONS: TaskAction[] = ['read', 'update', 'delete', 'share', 'leave'];

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the task access policy', () => {
  it('lets the owner do everything but leave, an editor read, update and leave, a viewer read and leave, and nobody else anything', () => {
    const table = Object.fromEntries([...TASK_ACCESSES, undefined].map((access) => [String(access), ACTIONS.filter((action) => can(access, action))]));
    expect(table).toEqual({
      owner: ['read', 'update', 'delete', 'share'],
      editor: ['read', 'update', 'leave'],
      viewer: ['read', 'leave'],
      undefined: [],
    });
  });

  it('names the granted roles that allow each action, in the order of the enum', () => {
    expect(SHARE_ROLES).toEqual(['viewer', 'editor']);
    expect(Object.fromEntries(ACTIONS.map((action) => [action, shareRolesAllowing(action)]))).toEqual({
      read: ['viewer', 'editor'],
      update: ['editor'],
      delete: [],
      share: [],
      leave: ['viewer', 'editor'],
    });
  });

  describe('authorize', () => {
    const notFound = () => new ProblemException(404, 'not-found', 'No task with this id');

    it("answers 404 (the caller's own not-found) to someone with no access, whatever the action", () => {
      for (const action of ACTIONS) {
        const error = thrown(() => authorize(undefined, action, notFound));
        expect(error).toBeInstanceOf(ProblemException);
        expect((error as ProblemException).getStatus()).toBe(404);
      }
    });

    it('answers 403 forbidden, with a reason for the action, to someone who can see the task but may not do this', () => {
      const refusals = [
        ['viewer', 'update', /read-only \(viewer\)/],
        ['editor', 'delete', /Only the owner can delete/],
        ['editor', 'share', /Only the owner can see or change who has access/],
        ['viewer', 'share', /Only the owner/],
        ['owner', 'leave', /owner cannot leave/],
      ] as const;
      for (const [access, action, detail] of refusals) {
        const error = thrown(() => authorize(access, action, notFound)) as ProblemException;
        expect({ access, action, status: error.getStatus(), type: error.problemType }).toEqual({ access, action, status: 403, type: 'forbidden' });
        expect(error.message).toMatch(detail);
      }
    });

    it('lets every allowed action through', () => {
      for (const access of TASK_ACCESSES) {
        for (const action of ACTIONS.filter((candidate) => can(access, candidate))) expect(thrown(() => authorize(access, action, notFound))).toBeUndefined();
      }
    });
  });

  describe('in SQL', () => {
    it('lets the owner or an editor update, through the placeholder given, never a value', () => {
      expect(accessCondition('update', 't', '$2::uuid')).toBe(
        "(t.owner_id = $2::uuid OR EXISTS (SELECT 1 FROM task_shares share WHERE share.task_id = t.id AND share.grantee_id = $2::uuid AND share.role IN ('editor'::task_share_role)))",
      );
    });

    it('lets the owner or any grantee read', () => {
      expect(accessCondition('read', 'x', '$9')).toBe(
        "(x.owner_id = $9 OR EXISTS (SELECT 1 FROM task_shares share WHERE share.task_id = x.id AND share.grantee_id = $9 AND share.role IN ('viewer'::task_share_role, 'editor'::task_share_role)))",
      );
    });

    it('lets only the owner delete or share, and nobody leave through a task condition', () => {
      expect(accessCondition('delete', 't', '$2')).toBe('(t.owner_id = $2)');
      expect(accessCondition('share', 't', '$2')).toBe('(t.owner_id = $2)');
      expect(accessCondition('leave', 't', '$2')).toBe(
        "(EXISTS (SELECT 1 FROM task_shares share WHERE share.task_id = t.id AND share.grantee_id = $2 AND share.role IN ('viewer'::task_share_role, 'editor'::task_share_role)))",
      );
    });

    it("reads the caller's access: owner, else the grant's role (NULL without one)", () => {
      expect(accessExpression('t', '$2::uuid')).toBe(
        "CASE WHEN t.owner_id = $2::uuid THEN 'owner' ELSE (SELECT share.role::text FROM task_shares share WHERE share.task_id = t.id AND share.grantee_id = $2::uuid) END",
      );
    });
  });
});
