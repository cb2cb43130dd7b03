import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompiledTemplate, MAX_VALUE_CHARS, compileTemplate } from '../../src/rules/template.js';

function compiled(text: string): CompiledTemplate {
  const result = compileTemplate(text);
  if (!result.ok) throw new Error(`${result.message} at ${result.offset}`);
  return result.template;
}

function refusal(text: string): { message: string; offset: number } {
  const result = compileTemplate(text);
  if (result.ok) throw new Error(`compiled: ${text}`);
  return { message: result.message, offset: result.offset };
}

describe('rendering', () => {
  it('fills event fields and facts', () => {
    const template = compiled('{{user}} holds {{facts.activeSessions}} sessions on {{host}} (Qlik allows 5)');
    expect(template.names).toEqual(['user', 'facts.activeSessions', 'host']);
    expect(template.render({ user: 'ACME\\bob', host: 'node-1', facts: { activeSessions: 6 } })).toBe(
      'ACME\\bob holds 6 sessions on node-1 (Qlik allows 5)',
    );
  });

  it('allows spaces inside the braces and leaves other braces alone', () => {
    const template = compiled('{ {{ user }} }} {x} {{severity}}');
    expect(template.render({ user: 'u', severity: 'critical' })).toBe('{ u }} {x} critical');
  });

  it('renders missing and null values as empty text', () => {
    const template = compiled('[{{appId}}] [{{browser}}] [{{facts.eventCount}}]');
    expect(template.render({ appId: null })).toBe('[] [] []');
  });

  it('renders primitives with String and objects as JSON', () => {
    const template = compiled('{{facts.inSchedule}} {{facts.hour}} {{facts.distinctUsers}}');
    expect(template.render({ facts: { inSchedule: false, hour: 0, distinctUsers: { a: [1, 'b'] } } })).toBe(
      'false 0 {"a":[1,"b"]}',
    );
  });

  it('caps each value', () => {
    const long = 'x'.repeat(1_000);
    const rendered = compiled('<{{user}}>').render({ user: long });
    expect(rendered).toBe(`<${'x'.repeat(MAX_VALUE_CHARS - 1)}…>`);
    const pairs = '😀'.repeat(150);
    const cut = compiled('{{user}}').render({ user: pairs });
    expect(cut.length).toBeLessThanOrEqual(MAX_VALUE_CHARS);
    expect(cut.isWellFormed()).toBe(true);
  });

  it('shows an object it cannot serialise as empty', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(compiled('[{{facts.hour}}]').render({ facts: { hour: cycle } })).toBe('[]');
  });

  it('looks up own data properties of plain objects only', () => {
    const template = compiled('[{{user}}] [{{facts.hour}}]');
    const inherited = Object.create({ user: 'from the prototype' }) as { user?: string };
    expect(template.render(inherited)).toBe('[] []');
    let called = false;
    const withGetter = {
      get user(): string {
        called = true;
        return 'getter';
      },
    };
    expect(template.render(withGetter)).toBe('[] []');
    expect(called).toBe(false);
    class Facts {
      hour = 3;
    }
    expect(template.render({ facts: new Facts() as unknown as Record<string, unknown> })).toBe('[] []');
    expect(template.render({ facts: Object.assign(Object.create(null) as object, { hour: 4 }) })).toBe(
      '[] [4]',
    );
  });

  it('is plain text without placeholders', () => {
    expect(compiled('').render({})).toBe('');
    expect(compiled('no placeholders }}').names).toEqual([]);
  });
});

describe('refused templates', () => {
  it.each([
    ['{{usr}} started', 'unknown name {{usr}}; did you mean {{user}}?', 2],
    ['on {{ hots }}', 'unknown name {{hots}}; did you mean {{host}}?', 6],
    [
      '{{facts.activeSesions}}',
      'unknown fact "activeSesions" in {{facts.activeSesions}}; did you mean {{facts.activeSessions}}?',
      8,
    ],
    ['{{activeSessions}}', 'activeSessions is a fact; write {{facts.activeSessions}}', 2],
    ['{{facts}}', '{{facts}} needs a fact name, e.g. {{facts.activeSessions}}', 2],
    ['{{user.id}}', 'user is a single value; write {{user}}', 7],
    ['{{facts.hour.x}}', 'facts.hour is a single value; write {{facts.hour}}', 13],
    [
      '{{__proto__}}',
      '"__proto__" is refused in {{__proto__}}: templates only look up event fields and facts',
      2,
    ],
    [
      '{{facts.constructor}}',
      '"constructor" is refused in {{facts.constructor}}: templates only look up event fields and facts',
      8,
    ],
    [
      '{{user.prototype}}',
      '"prototype" is refused in {{user.prototype}}: templates only look up event fields and facts',
      7,
    ],
    ['a {{user', '"{{" is not closed; write {{name}}, e.g. {{user}}', 2],
    ['{{user}} {{', '"{{" is not closed; write {{name}}, e.g. {{user}}', 9],
    ['{{}}', 'empty placeholder {{}}; write a name, e.g. {{user}}', 0],
    [
      '{{user.toUpperCase()}}',
      '{{user.toUpperCase()}} is not a name; a placeholder holds one name such as {{user}} or {{facts.activeSessions}}, nothing else',
      2,
    ],
    [
      '{{ user | upper }}',
      '{{user | upper}} is not a name; a placeholder holds one name such as {{user}} or {{facts.activeSessions}}, nothing else',
      3,
    ],
    [
      '{{nonsense}}',
      'unknown name {{nonsense}}; use an event field (user, host, kind, userDirectory, userId, origin, context, appId, browser, os, rule, key, severity) or facts.<fact>',
      2,
    ],
  ])('%s', (text, message, offset) => {
    expect(refusal(text)).toEqual({ message, offset });
  });
});

describe('any text', () => {
  const pieces = fc.constantFrom(
    '{{',
    '}}',
    '{',
    '}',
    'user',
    'facts',
    '.',
    'activeSessions',
    ' ',
    '__proto__',
    'x',
  );
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join('')),
  );

  it('compiles or is refused with an offset inside the text, never throws', () => {
    fc.assert(
      fc.property(text, (input) => {
        const result = compileTemplate(input);
        if (result.ok) {
          expect(typeof result.template.render({ user: 'u', facts: { activeSessions: 1 } })).toBe('string');
        } else {
          expect(result.offset).toBeGreaterThanOrEqual(0);
          expect(result.offset).toBeLessThan(input.length);
          expect(result.message).not.toBe('');
        }
      }),
    );
  });
});
