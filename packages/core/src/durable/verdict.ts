import { errorText } from '@bgstore/protocol';

/**
 * Runs a policy hook (`authorize`, `authorizeRead`, a validator): `true` lets the call through, a
 * string is the refusal, anything else a refusal naming `who`, and a throw a refusal with its
 * message — never an exception escaping into the commit that asked.
 * @example hookVerdict(() => policy.authorize(context, intent), 'the store policy')
 */
export function hookVerdict(run: () => unknown, who: string): true | string {
  try {
    const verdict = run();
    return verdict === true ? true : typeof verdict === 'string' ? verdict : `refused by ${who}`;
  } catch (error) {
    return `${who} threw: ${errorText(error)}`;
  }
}
