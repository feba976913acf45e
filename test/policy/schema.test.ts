import { Ajv } from 'ajv';
import schema from '../../policies/schema.json' with { type: 'json' };
import { closest, editDistance, isCalendarDate } from '../../src/policy/parse.js';
import { RULE_IDS } from '../../src/policy/types.js';

type SchemaNode = Record<string, unknown>;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every subschema with its JSON pointer. */
function subschemas(node: SchemaNode, pointer = ''): [string, SchemaNode][] {
  const found: [string, SchemaNode][] = [[pointer, node]];
  for (const key of ['properties', 'definitions']) {
    const children = node[key];
    if (!isNode(children)) continue;
    for (const [name, child] of Object.entries(children)) {
      if (isNode(child)) found.push(...subschemas(child, `${pointer}/${key}/${name}`));
    }
  }
  if (isNode(node.items)) found.push(...subschemas(node.items, `${pointer}/items`));
  return found;
}

function definition(ref: unknown): SchemaNode {
  const name = String(ref).replace('#/definitions/', '');
  const definitions = schema.definitions as Record<string, unknown>;
  const found = definitions[name];
  if (!isNode(found)) throw new Error(`missing definition ${name}`);
  return found;
}

const nodes = subschemas(schema as SchemaNode);

describe('policies/schema.json', () => {
  it('describes every property (directly or through its $ref), for editors', () => {
    const undescribed = nodes
      .filter(([pointer]) => pointer.includes('/properties/') || pointer.startsWith('/definitions/'))
      .filter(([, node]) => typeof node.description !== 'string' && typeof definition(node.$ref).description !== 'string')
      .map(([pointer]) => pointer);
    expect(undescribed).toEqual([]);
  });

  it('rejects unknown keys in every mapping', () => {
    const open = nodes
      .filter(([, node]) => node.type === 'object' || isNode(node.properties))
      .filter(([, node]) => node.additionalProperties !== false)
      .map(([pointer]) => pointer);
    expect(open).toEqual([]);
  });

  it('has examples that are valid where they stand', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
    ajv.addSchema(schema, 'policy');
    const invalid: string[] = [];
    let checked = 0;
    for (const [pointer, node] of nodes) {
      for (const example of Array.isArray(node.examples) ? (node.examples as unknown[]) : []) {
        checked += 1;
        if (!ajv.validate({ $ref: `policy#${pointer}` }, example)) invalid.push(`${pointer}: ${JSON.stringify(example)}`);
      }
    }
    expect(invalid).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  it('lists exactly the configurable rule ids, and the waivable ones in exceptions', () => {
    const rules = definition('#/definitions/rules').properties;
    expect(Object.keys(isNode(rules) ? rules : {})).toEqual(RULE_IDS.filter((id) => id !== 'policy'));
    const exceptionRules = (definition('#/definitions/exception').properties as Record<string, SchemaNode>).rules;
    expect((exceptionRules?.items as SchemaNode).enum).toEqual(
      RULE_IDS.filter((id) => id !== 'policy' && id !== 'platform-limits' && id !== 'resolution' && id !== 'caller-impact'),
    );
  });
});

describe('helpers behind the messages', () => {
  it.each([
    ['2027-06-30', true],
    ['2028-02-29', true],
    ['2027-02-29', false],
    ['2100-02-29', false],
    ['2000-02-29', true],
    ['2027-04-31', false],
    ['2027-13-01', false],
    ['2027-00-10', false],
    ['2027-06-00', false],
    ['27-06-30', false],
    ['2027-06-30 ', false],
  ])('isCalendarDate(%s) is %s', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });

  it('measures edits, counting a transposition as one', () => {
    expect(editDistance('pinnning', 'pinning')).toBe(1);
    expect(editDistance('reqiure', 'require')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only close candidates', () => {
    expect(closest('Pinning', ['pinning', 'contract'])).toBe('pinning');
    expect(closest('pin', ['pinning', 'contract'])).toBeUndefined();
    expect(closest('max_depth', ['max-depth', 'max-levels'])).toBe('max-depth');
    expect(closest('zzz', ['off'])).toBeUndefined();
  });
});
