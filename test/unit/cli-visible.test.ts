/** The CLI's output guard: control characters become visible escapes; --json stays exact. */
import { describe, expect, it } from 'vitest';
import {
  escapeControl,
  escapeControlKeepingLines,
  guardedOutput,
  jsonText,
  visible,
} from '../../cli/visible.ts';

const EVERY_KIND = 'a\u0000\u0007\t\n\r\u001b[2J\u007f\u0085\u009b\u2028\u2029b';

describe('escapeControl', () => {
  it('writes every control character (C0, DEL, C1, U+2028/9) as \\uXXXX and leaves other text alone', () => {
    expect(escapeControl(EVERY_KIND)).toBe(
      'a\\u0000\\u0007\\u0009\\u000a\\u000d\\u001b[2J\\u007f\\u0085\\u009b\\u2028\\u2029b',
    );
    expect(escapeControl('Zoë 👋 "quoted" \\ back')).toBe('Zoë 👋 "quoted" \\ back');
  });

  it('keeps the line breaks of composed output, nothing else', () => {
    expect(escapeControlKeepingLines('one\ntwo\r\nthree\rfour\u001b')).toBe(
      'one\ntwo\r\nthree\\u000dfour\\u001b',
    );
  });

  it('visible escapes every string of a value, keys included; numbers and booleans stay', () => {
    expect(visible({ 'k\u001b': ['x\ny', 1, true, null] })).toEqual({
      'k\\u001b': ['x\\u000ay', 1, true, null],
    });
  });
});

describe('jsonText', () => {
  it('has no raw control character and parses back to the exact value', () => {
    const value = { reason: EVERY_KIND, list: [EVERY_KIND] };
    const text = jsonText(value);
    expect([...text.replace(/\n/g, '')].some((c) => /[\p{Cc}\u2028\u2029]/u.test(c))).toBe(false);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('guardedOutput', () => {
  it('guards out, err and write', () => {
    const seen: string[] = [];
    const io = guardedOutput({
      out: (s) => seen.push(s),
      err: (s) => seen.push(s),
      write: (s) => seen.push(s),
    });
    io.out('a\u001bb\nc');
    io.err('\u009b');
    io.write?.('x\r\ny\u0007');
    expect(seen).toEqual(['a\\u001bb\nc', '\\u009b', 'x\r\ny\\u0007']);
  });
});
