import type { MatchMeter } from '../destinations/destination-pattern';

const PERCENT = 0x25; // '%': any sequence of characters, empty included
const UNDERSCORE = 0x5f; // '_': exactly one character
/** An item that matches any one character (`_`). */
const ANY = -1;

type Mode = 'exact' | 'prefix' | 'suffix' | 'any' | 'nfa';

/**
 * Where `pattern` misuses its escape character, as an index into the pattern, or -1. SQL-92
 * (8.5 <like predicate>): the escape character must be followed by `%`, `_` or itself.
 */
export function findBadEscape(pattern: string, escape: string | undefined): number {
  if (escape === undefined) return -1;
  const esc = escape.codePointAt(0)!;
  for (let i = 0; i < pattern.length; ) {
    const cp = pattern.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === esc) {
      const next = pattern.codePointAt(i + width);
      if (next !== PERCENT && next !== UNDERSCORE && next !== esc) return i;
      i += width + (next > 0xffff ? 2 : 1);
    } else {
      i += width;
    }
  }
  return -1;
}

/**
 * A compiled `LIKE` pattern (JMS 1.1 §3.8.1.1: `_` one character, `%` any sequence, an
 * optional escape character). Characters are code points, so `_` matches an emoji whole.
 *
 * Matching never backtracks, so `'%a%a%a…%b'` against a long run of `a` costs the same as
 * any other pattern of its length (a regex built from it would backtrack for minutes). The
 * pattern is a chain of states 0..k (k = characters and `_` of the pattern); state i means
 * "the first i items matched", and a `%` before item i lets state i stay put on any character.
 * All states advance together, one bit each (shift-and, Baeza-Yates & Gonnet 1992), in
 * ⌈(k+1)/32⌉ words: a match reads the value once and costs that many word operations per
 * character (one plain number when the pattern has under 32 items, the common case). Per
 * character of the pattern, a bit mask says where it may be matched; a character that occurs
 * fewer times than there are words keeps a list of its places instead, so memory stays linear
 * in the pattern: four state sets of ⌈(k+1)/32⌉ words, at most k words of masks and k places
 * (a 4 KiB pattern holds under 40 KiB).
 *
 * Patterns without `_` whose `%` sit only at the ends are plain equality, startsWith or
 * endsWith.
 */
export class LikePattern {
  private readonly mode: Mode;
  /** The literal text of the exact, prefix and suffix modes. */
  private readonly literal: string = '';
  /** Number of items (characters and `_`): the accepting state. */
  private readonly last: number = 0;
  private readonly words: number = 0;
  /** Bit i: state i has a `%` self-loop. */
  private readonly star: Uint32Array = new Uint32Array(0);
  /** Bit i+1: item i is `_`; the mask of a character the pattern does not name. */
  private readonly any: Uint32Array = new Uint32Array(0);
  /** Per frequent character, bit i+1: item i is that character or `_` (ASCII in an array, the rest in a map). */
  private readonly asciiDense: (Uint32Array | undefined)[] = [];
  private readonly dense = new Map<number, Uint32Array>();
  /** Per rare character, the bits i+1 where item i is that character. */
  private readonly sparse = new Map<number, number[]>();
  /** True when the accepting state has a `%`: once reached, the rest of the value cannot undo it. */
  private readonly openEnd: boolean = false;
  // Scratch state sets, reused by every match (matching is synchronous and never reentrant).
  private current: Uint32Array = new Uint32Array(0);
  private following: Uint32Array = new Uint32Array(0);

  /** @param pattern a pattern whose escapes {@link findBadEscape} accepts */
  constructor(pattern: string, escape?: string) {
    const items: number[] = [];
    const stars: boolean[] = [false];
    const esc = escape === undefined ? undefined : escape.codePointAt(0);
    for (let i = 0; i < pattern.length; ) {
      let cp = pattern.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      if (cp === esc) {
        cp = pattern.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        items.push(cp);
        stars.push(false);
      } else if (cp === PERCENT) {
        stars[items.length] = true;
      } else {
        items.push(cp === UNDERSCORE ? ANY : cp);
        stars.push(false);
      }
    }
    const k = items.length;
    const wild = items.includes(ANY);
    const inner = stars.slice(1, k).includes(true);
    this.mode = wild || inner || (stars[0] && stars[k] && k > 0) ? 'nfa' : k === 0 && stars[0] ? 'any' : stars[0] ? 'suffix' : stars[k] ? 'prefix' : 'exact';
    if (this.mode !== 'nfa') {
      this.literal = String.fromCodePoint(...items);
      return;
    }
    const words = (k + 1 + 31) >>> 5;
    this.words = words;
    this.last = k;
    this.openEnd = stars[k];
    this.star = new Uint32Array(words);
    this.any = new Uint32Array(words);
    for (let i = 0; i <= k; i++) if (stars[i]) setBit(this.star, i);
    const places = new Map<number, number[]>();
    for (let i = 0; i < k; i++) {
      if (items[i] === ANY) {
        setBit(this.any, i + 1);
      } else {
        const list = places.get(items[i]);
        if (list === undefined) places.set(items[i], [i + 1]);
        else list.push(i + 1);
      }
    }
    for (const [cp, list] of places) {
      if (list.length < words) {
        this.sparse.set(cp, list);
      } else {
        const mask = this.any.slice();
        for (const bit of list) setBit(mask, bit);
        if (cp < 0x80) this.asciiDense[cp] = mask;
        else this.dense.set(cp, mask);
      }
    }
    this.current = new Uint32Array(words);
    this.following = new Uint32Array(words);
  }

  /** True when the whole of `value` matches; `meter.steps` grows by the word operations spent. */
  matches(value: string, meter?: MatchMeter): boolean {
    switch (this.mode) {
      case 'exact':
        return value === this.literal;
      case 'prefix':
        return value.startsWith(this.literal);
      case 'suffix':
        return value.endsWith(this.literal);
      case 'any':
        return true;
      default:
        if (value.length < this.last) return false; // every item takes at least one UTF-16 unit
        return this.words === 1 ? this.runWord(value, meter) : this.runWords(value, meter);
    }
  }

  /** The mask of code point `cp`: where it (or `_`) may be matched; rare characters get `any` and their place list. */
  private maskOf(cp: number): Uint32Array {
    return (cp < 0x80 ? this.asciiDense[cp] : this.dense.get(cp)) ?? this.any;
  }

  /** Up to 31 items: the state set is one number. */
  private runWord(value: string, meter: MatchMeter | undefined): boolean {
    const star = this.star[0];
    const last = this.last;
    let d = 1; // state 0: nothing matched yet
    let i = 0;
    while (i < value.length) {
      let cp = value.charCodeAt(i++);
      if (cp >= 0xd800 && cp <= 0xdbff && i < value.length) {
        const low = value.charCodeAt(i);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      d = (((d << 1) & this.maskOf(cp)[0]) | (d & star)) >>> 0;
      if (d === 0 || (this.openEnd && (d >>> last) & 1)) break;
    }
    if (meter !== undefined) meter.steps += i;
    return ((d >>> last) & 1) === 1;
  }

  private runWords(value: string, meter: MatchMeter | undefined): boolean {
    const words = this.words;
    const star = this.star;
    let d = this.current;
    let next = this.following;
    d.fill(0);
    d[0] = 1;
    let steps = 0;
    let alive = true;
    for (let i = 0; i < value.length && alive; ) {
      let cp = value.charCodeAt(i++);
      if (cp >= 0xd800 && cp <= 0xdbff && i < value.length) {
        const low = value.charCodeAt(i);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      const mask = this.maskOf(cp);
      let carry = 0;
      let live = 0;
      for (let w = 0; w < words; w++) {
        const v = d[w];
        const x = (((v << 1) | carry) & mask[w]) | (v & star[w]);
        carry = v >>> 31;
        next[w] = x;
        live |= x;
      }
      const list = mask === this.any ? this.sparse.get(cp) : undefined;
      if (list !== undefined) {
        for (const bit of list) {
          if (hasBit(d, bit - 1)) {
            setBit(next, bit);
            live = 1;
          }
        }
      }
      steps += words;
      const old = d;
      d = next;
      next = old;
      alive = live !== 0;
      if (this.openEnd && hasBit(d, this.last)) break;
    }
    this.current = d;
    this.following = next;
    if (meter !== undefined) meter.steps += steps;
    return alive && hasBit(d, this.last);
  }
}

function setBit(set: Uint32Array, bit: number): void {
  set[bit >>> 5] |= 1 << (bit & 31);
}

function hasBit(set: Uint32Array, bit: number): boolean {
  return ((set[bit >>> 5] >>> (bit & 31)) & 1) === 1;
}
