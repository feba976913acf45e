// Which files of a change an evaluation takes: workflows, and actions' metadata files anywhere in the repository.
import { mergeChanges, workflowChanges } from '../../src/app/workflows.js';

describe('workflowChanges', () => {
  it('takes the action.yml or action.yaml a change adds or modifies, at the root or in any directory, and leaves a removed one', () => {
    const changes = workflowChanges([
      { filename: 'action.yml', status: 'modified' },
      { filename: '.github/actions/setup/action.yaml', status: 'added' },
      { filename: 'tools/lint/action.yml', status: 'renamed', previous_filename: 'lint/action.yml' },
      { filename: 'old/action.yml', status: 'removed' },
      { filename: 'docs/action.yml.md', status: 'modified' },
      { filename: 'src/my-action.yml', status: 'modified' },
      { filename: '.github/workflows/ci.yml', status: 'modified' },
    ]);
    expect(changes).toEqual({
      changed: ['.github/workflows/ci.yml'],
      removed: [],
      actions: ['action.yml', '.github/actions/setup/action.yaml', 'tools/lint/action.yml'],
    });
    expect(mergeChanges(changes, workflowChanges([{ filename: 'action.yml', status: 'modified' }])).actions).toEqual(['action.yml', '.github/actions/setup/action.yaml', 'tools/lint/action.yml']);
  });
});
