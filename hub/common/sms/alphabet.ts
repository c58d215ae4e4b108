// The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 6.2.1 and 6.2.1.1).
// Pure data and lookups, shared by the agent's PDU codec and the hub's SMS length checks.

/** Basic table: the character at index n is septet value n. 0x1B is the escape to the extension table. */
export const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

export const GSM7_ESCAPE = 0x1b;

/** Extension table: character -> septet value that follows the escape. */
export const GSM7_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);

const BASIC_INDEX: ReadonlyMap<string, number> = new Map(
  [...GSM7_BASIC].map((ch, i) => [ch, i] as [string, number]).filter(([, i]) => i !== GSM7_ESCAPE),
);
const EXTENSION_REVERSE: ReadonlyMap<number, string> = new Map([...GSM7_EXTENSION].map(([ch, v]) => [v, ch]));

/** Septet value of a basic-table character, or undefined. */
export function gsm7BasicCode(ch: string): number | undefined {
  return BASIC_INDEX.get(ch);
}

/** Septet value (after escape) of an extension-table character, or undefined. */
export function gsm7ExtensionCode(ch: string): number | undefined {
  return GSM7_EXTENSION.get(ch);
}

/** Septets a character needs in GSM 7-bit: 1, 2 (escape + extension) or undefined if not encodable. */
export function gsm7Septets(ch: string): 1 | 2 | undefined {
  if (BASIC_INDEX.has(ch)) return 1;
  if (GSM7_EXTENSION.has(ch)) return 2;
  return undefined;
}

/** Decode septet values to text; an escape followed by an unknown value decodes as the basic character (TS 23.038 note). */
export function decodeGsm7Septets(septets: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = (septets[i] as number) & 0x7f;
    if (s === GSM7_ESCAPE && i + 1 < septets.length) {
      const next = (septets[++i] as number) & 0x7f;
      out += EXTENSION_REVERSE.get(next) ?? GSM7_BASIC[next] ?? '';
    } else if (s === GSM7_ESCAPE) {
      // A trailing escape with nothing after it: show a space, as phones do.
      out += ' ';
    } else {
      out += GSM7_BASIC[s] ?? '';
    }
  }
  return out;
}

/** True when every character of the text is in the GSM 7-bit default alphabet or its extension. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsm7Septets(ch) === undefined) return false;
  return true;
}
