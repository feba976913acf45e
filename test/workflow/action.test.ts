import { parseActionManifest } from '../../src/workflow/parse.js';
import type { SourceRange } from '../../src/workflow/model.js';

const r = (startLine: number, startColumn: number, endLine: number, endColumn: number): SourceRange => ({
  start: { line: startLine, column: startColumn },
  end: { line: endLine, column: endColumn },
});

describe('parseActionManifest', () => {
  it('reads a composite action’s steps with their uses, comments and inputs', () => {
    const text = [
      'name: Setup',
      'description: Sets things up',
      'runs:',
      '  using: composite',
      '  steps:',
      '    - uses: actions/checkout@v4 # v4.2.2',
      '      with:',
      '        repository: octo-org/tools',
      '    - run: echo hi',
      '      shell: bash',
      '    - uses: ./.github/actions/inner',
      '',
    ].join('\n');
    expect(parseActionManifest(text, 'setup/action.yml')).toEqual({
      path: 'setup/action.yml',
      name: { value: 'Setup', range: r(1, 7, 1, 12) },
      runs: {
        using: 'composite',
        range: r(4, 3, 11, 36),
        steps: [
          {
            index: 0,
            range: r(6, 7, 8, 35),
            uses: { value: 'actions/checkout@v4', range: r(6, 13, 6, 32), comment: 'v4.2.2' },
            with: { range: r(7, 7, 8, 35), entries: { repository: { value: 'octo-org/tools', range: r(8, 21, 8, 35) } } },
          },
          { index: 1, range: r(9, 7, 10, 18) },
          { index: 2, range: r(11, 7, 11, 36), uses: { value: './.github/actions/inner', range: r(11, 13, 11, 36) } },
        ],
      },
      diagnostics: [],
    });
  });

  it('takes the keys of an action file, which a workflow\'s top level does not (no on, no jobs)', () => {
    const text = 'name: x\nauthor: me\ninputs: { a: { required: true } }\noutputs: {}\nbranding: { icon: box }\nruns:\n  using: node24\n  main: i.js\n';
    expect(parseActionManifest(text, 'action.yml').diagnostics).toEqual([]);
  });

  it('reads the inputs a step may pass: required only when `true`, the default where there is one, nothing reported', () => {
    const text = [
      'name: Setup',
      'inputs:',
      '  token:',
      '    required: true',
      '  node:',
      '    required: true',
      "    default: '20'",
      '  cache:',
      "    required: 'yes'",
      '  verbose:',
      'runs:',
      '  using: node24',
      '  main: index.js',
      '',
    ].join('\n');
    const action = parseActionManifest(text, 'action.yml');
    expect(action.inputs).toEqual([
      { name: 'token', range: r(3, 3, 3, 8), required: true },
      { name: 'node', range: r(5, 3, 5, 7), required: true, default: { value: '20', range: r(7, 14, 7, 18) } },
      { name: 'cache', range: r(8, 3, 8, 8), required: false },
      { name: 'verbose', range: r(10, 3, 10, 10), required: false },
    ]);
    expect(action.diagnostics).toEqual([]);
    expect(parseActionManifest('inputs: [a, b]\nruns:\n  using: node24\n', 'action.yml')).toEqual({ path: 'action.yml', runs: expect.anything() as unknown, diagnostics: [] });
  });

  it.each<[string, string, unknown]>([
    ['a container by image', 'runs:\n  using: docker\n  image: docker://alpine:3.20\n', { using: 'docker', range: r(2, 3, 3, 30), image: { value: 'docker://alpine:3.20', range: r(3, 10, 3, 30) } }],
    ['a container from its Dockerfile', 'runs:\n  using: docker\n  image: Dockerfile\n', { using: 'docker', range: r(2, 3, 3, 20), image: { value: 'Dockerfile', range: r(3, 10, 3, 20) } }],
    ['a JavaScript action', "runs:\n  using: 'node24'\n  main: dist/index.js\n", { using: 'node', range: r(2, 3, 3, 22), runtime: { value: 'node24', range: r(2, 10, 2, 18) } }],
  ])('reads %s', (_what, text, runs) => {
    expect(parseActionManifest(text, 'action.yml')).toEqual({ path: 'action.yml', runs, diagnostics: [] });
  });

  it.each<[string, string, string, SourceRange]>([
    ['no runs', 'name: x\n', 'An action file must say how the action runs: `runs` is missing.', r(1, 1, 1, 1)],
    ['runs without using', 'runs:\n  main: index.js\n', '`runs.using` must be composite, docker or a JavaScript runtime such as node24.', r(1, 1, 1, 5)],
    ['an unknown using', 'runs:\n  using: python3\n', '`runs.using` "python3" is not one GitHub runs: write composite, docker or a JavaScript runtime such as node24.', r(2, 10, 2, 17)],
    ['runs as a string', 'runs: composite\n', '`runs` must be a mapping with `using`.', r(1, 7, 1, 16)],
    ['not a mapping', '- runs\n', 'An action file must be a YAML mapping with `runs`.', r(1, 1, 1, 7)],
  ])('reports %s', (_what, text, message, range) => {
    expect(parseActionManifest(text, 'action.yml').diagnostics).toEqual([expect.objectContaining({ message, range })]);
  });

  it('never throws on a broken file: the YAML error is a diagnostic', () => {
    const action = parseActionManifest('runs:\n  using: composite\n  steps: [unclosed\n', 'action.yml');
    expect(action.diagnostics[0]).toEqual(expect.objectContaining({ code: 'yaml-syntax' }));
  });
});
