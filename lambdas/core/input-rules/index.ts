/**
 * The rules every edge parses its input with (HR payloads, the API, command input, configuration):
 * one email rule, one instant rule, one free-text rule, and the field parser that names the field.
 */
export { EMAIL_MAX_LENGTH, EMAIL_MESSAGE, emailRule, isEmailAddress } from './email.ts';
export { type FieldError, fieldErrors, invalidField, parseField, parseOptionalField } from './field.ts';
export { type InstantForm, instantRule, readInstant } from './instant.ts';
export {
  CONTROL_CHARACTERS,
  CONTROL_MESSAGE,
  hasControlCharacters,
  type TextOptions,
  textRule,
} from './text.ts';
