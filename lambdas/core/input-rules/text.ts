/**
 * The free-text rule of every edge (reasons, names, employee ids: any string Leaver stores or
 * prints). Every such field is a single line, so it refuses every control character: C0
 * (U+0000-U+001F, tab and newline included), DEL (U+007F), C1 (U+0080-U+009F), and the line and
 * paragraph separators (U+2028, U+2029). A terminal runs escape sequences built from these, so a
 * crafted reason could otherwise clear a screen or draw a fake line. Lone UTF-16 surrogates (no
 * character at all) are refused too.
 */
import * as z from 'zod';

/**
 * Every character the text rule refuses, and the CLI escapes when it prints stored data (Unicode
 * category Cc is exactly C0, DEL and C1).
 */
export const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The same refusal as a JSON Schema pattern, for the API description. */
const SINGLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$';

export const CONTROL_MESSAGE = 'must not contain control characters (tabs, newlines, escapes)';

export const hasControlCharacters = (s: string): boolean => CONTROL_CHARACTERS.test(s);

export interface TextOptions {
  /** Longest value, in UTF-16 code units (JavaScript's length). */
  max: number;
  /** Shortest value after trimming; 0 accepts an empty string. Default 0. */
  min?: number;
  /** Trim surrounding spaces first (the value stored is the trimmed one). */
  trim?: boolean;
}

/** One schema per set of options, built on first use (the HR sources ask for theirs per field). */
const rules = new Map<string, ReturnType<typeof buildTextRule>>();

/** A single line of text of at most `max` characters. */
export function textRule(options: TextOptions): ReturnType<typeof buildTextRule> {
  const key = `${options.max}:${options.min ?? 0}:${options.trim === true}`;
  let rule = rules.get(key);
  if (!rule) {
    rule = buildTextRule(options);
    rules.set(key, rule);
  }
  return rule;
}

function buildTextRule({ max, min = 0, trim = false }: TextOptions) {
  let s = z.string({ error: 'must be a string' });
  if (trim) s = s.trim();
  if (min > 0)
    s = s.min(min, { error: min === 1 ? 'must not be empty' : `is shorter than ${min} characters` });
  return s
    .max(max, { error: `is longer than ${max} characters`, abort: true })
    .refine((v) => !hasControlCharacters(v), CONTROL_MESSAGE)
    .refine((v) => !LONE_SURROGATE.test(v), 'must be valid Unicode text')
    .meta({
      description:
        'One line of text: no control characters (C0 with tab and newline, DEL, C1, U+2028, U+2029).',
      pattern: SINGLE_LINE_PATTERN,
    });
}
