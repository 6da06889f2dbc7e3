/**
 * A bounded, side-effect-free preview and size estimate of a value that was
 * (or will be) structured-cloned, e.g. a BroadcastChannel message.
 *
 * Why not JSON.stringify: it calls `toJSON` and getters, both page code a page
 * could count. This walk reads own properties through their descriptors (an
 * accessor is shown as `[getter]`, never called), recognises built-ins with
 * brand checks on natives captured at startup (which read internal slots, not
 * properties), and stops after a fixed number of nodes, a fixed depth and the
 * preview length. It never throws: anything unexpected becomes a placeholder.
 *
 * It must only be given values that are not Proxies (traps would run): a
 * value that BroadcastChannel.postMessage accepted, or one it delivered, is
 * never a Proxy, because proxies cannot be structured-cloned.
 */
import {
  apply,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  isArray,
  jsonStringify,
  NativeString,
  numberText,
  ownKeys,
} from './natives';
import { textPreview, utf8Length } from './text';

export interface ValuePreview {
  preview: string;
  /** Estimated bytes of the value: exact for strings and binary data, a rough sum otherwise. */
  size: number;
}

const MAX_NODES = 256;
const MAX_DEPTH = 6;

type Getter = (this: unknown) => unknown;
function getter(proto: object | undefined, key: PropertyKey): Getter | undefined {
  if (!proto) return undefined;
  return getOwnPropertyDescriptor(proto, key)?.get as Getter | undefined;
}
/** Call a native brand-checking function; `undefined` when `value` lacks the brand. */
function brand(fn: Getter | ((this: unknown) => unknown) | undefined, value: unknown): unknown {
  if (!fn) return undefined;
  try {
    return apply(fn, value, []);
  } catch {
    return undefined;
  }
}

const typedArrayProto = getPrototypeOf(Uint8Array.prototype) as object;
const objectProto = Object.prototype;
const natives = {
  dateGetTime: Date.prototype.getTime as Getter,
  dateToISO: Date.prototype.toISOString as Getter,
  regExpSource: getter(RegExp.prototype, 'source'),
  mapSize: getter(Map.prototype, 'size'),
  mapForEach: Map.prototype.forEach,
  setSize: getter(Set.prototype, 'size'),
  setForEach: Set.prototype.forEach,
  arrayBufferByteLength: getter(ArrayBuffer.prototype, 'byteLength'),
  typedArrayTag: getter(typedArrayProto, Symbol.toStringTag),
  typedArrayLength: getter(typedArrayProto, 'length'),
  typedArrayByteLength: getter(typedArrayProto, 'byteLength'),
  dataViewByteLength: getter(DataView.prototype, 'byteLength'),
  blobSize: typeof Blob === 'function' ? getter(Blob.prototype, 'size') : undefined,
  blobType: typeof Blob === 'function' ? getter(Blob.prototype, 'type') : undefined,
};

class Walk {
  out = '';
  size = 0;
  nodes = 0;
  full = false;
  /**
   * The objects being walked, outermost first: one met again among them is
   * a cycle. (A per-walk WeakSet cost a weak collection per message, which
   * the garbage collector then had to process.) Depth is bounded, so the
   * scan is short; an object shared by two branches is simply shown twice,
   * within the node budget.
   */
  readonly ancestors: object[] = [];
  constructor(readonly maxChars: number) {}

  write(s: string): void {
    if (this.full) return;
    if (this.out.length + s.length > this.maxChars) {
      this.out += textPreview(s, this.maxChars - this.out.length);
      this.full = true;
      return;
    }
    this.out += s;
  }

  value(v: unknown, depth: number): void {
    this.nodes++;
    switch (typeof v) {
      case 'string':
        this.size += utf8Length(v);
        if (!this.full) this.write(jsonStringify(textPreview(v, this.maxChars)));
        return;
      case 'number':
        this.size += 8;
        this.write(numberText(v));
        return;
      case 'boolean':
        this.size += 4;
        this.write(v ? 'true' : 'false');
        return;
      case 'undefined':
        this.size += 1;
        this.write('undefined');
        return;
      case 'bigint':
        this.size += 8;
        this.write(`${apply(BigInt.prototype.toString, v, []) as string}n`);
        return;
      case 'symbol':
        this.write('[symbol]');
        return;
      case 'function':
        this.write('[function]');
        return;
    }
    if (v === null) {
      this.size += 1;
      this.write('null');
      return;
    }
    this.object(v as object, depth);
  }

  object(o: object, depth: number): void {
    const ancestors = this.ancestors;
    for (let i = 0; i < depth && i < ancestors.length; i++) if (ancestors[i] === o) return this.write('[Circular]');
    if (depth >= MAX_DEPTH || this.nodes > MAX_NODES || this.full) return this.write('…');
    // Own index writes on our own array: no page-patchable method involved.
    ancestors[depth] = o;
    if (isArray(o)) return this.array(o, depth);
    // Fast path for plain objects (most messages): no brand checks, each of
    // which throws for a value without the brand, and throwing is slow.
    const proto = getPrototypeOf(o);
    if (proto !== objectProto && proto !== null && this.builtin(o, depth)) return;
    this.write('{');
    let first = true;
    // Indexed loop: for-of would call the page-patchable Array iterator.
    const keys = ownKeys(o);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (typeof key !== 'string') continue;
      const desc = getOwnPropertyDescriptor(o, key);
      if (!desc || !desc.enumerable) continue;
      if (!first) this.write(',');
      first = false;
      if (this.nodes > MAX_NODES || this.full) {
        this.write('…');
        break;
      }
      this.size += utf8Length(key);
      this.write(`${jsonStringify(textPreview(key, 256))}:`);
      if ('value' in desc) this.value(desc.value, depth + 1);
      else this.write('[getter]');
    }
    this.write('}');
  }

  array(a: unknown[], depth: number): void {
    const lengthDesc = getOwnPropertyDescriptor(a, 'length');
    const length = typeof lengthDesc?.value === 'number' ? lengthDesc.value : 0;
    this.write('[');
    for (let i = 0; i < length; i++) {
      if (i > 0) this.write(',');
      if (this.nodes > MAX_NODES || this.full) {
        this.write(`…${length - i} more`);
        break;
      }
      const desc = getOwnPropertyDescriptor(a, NativeString(i));
      if (!desc) this.write('');
      else if ('value' in desc) this.value(desc.value, depth + 1);
      else this.write('[getter]');
    }
    this.write(']');
  }

  /** Recognise cloneable built-ins by brand; true when handled. */
  builtin(o: object, depth: number): boolean {
    const time = brand(natives.dateGetTime, o);
    if (typeof time === 'number') {
      this.size += 8;
      this.write(time === time ? `Date(${brand(natives.dateToISO, o) as string})` : 'Date(Invalid)');
      return true;
    }
    const source = brand(natives.regExpSource, o);
    if (typeof source === 'string') {
      this.size += utf8Length(source);
      this.write(`/${textPreview(source, 256)}/`);
      return true;
    }
    const tag = brand(natives.typedArrayTag, o);
    if (typeof tag === 'string') {
      const bytes = brand(natives.typedArrayByteLength, o) as number;
      this.size += bytes;
      this.write(`${tag}(${numberText(brand(natives.typedArrayLength, o) as number)})`);
      return true;
    }
    const bufferBytes = brand(natives.arrayBufferByteLength, o);
    if (typeof bufferBytes === 'number') {
      this.size += bufferBytes;
      this.write(`ArrayBuffer(${numberText(bufferBytes)})`);
      return true;
    }
    const viewBytes = brand(natives.dataViewByteLength, o);
    if (typeof viewBytes === 'number') {
      this.size += viewBytes;
      this.write(`DataView(${numberText(viewBytes)})`);
      return true;
    }
    const blobSize = brand(natives.blobSize, o);
    if (typeof blobSize === 'number') {
      this.size += blobSize;
      this.write(`Blob(${numberText(blobSize)}, ${jsonStringify(brand(natives.blobType, o) as string)})`);
      return true;
    }
    const mapSize = brand(natives.mapSize, o);
    if (typeof mapSize === 'number') {
      this.collection('Map', mapSize, natives.mapForEach, o, true, depth);
      return true;
    }
    const setSize = brand(natives.setSize, o);
    if (typeof setSize === 'number') {
      this.collection('Set', setSize, natives.setForEach, o, false, depth);
      return true;
    }
    return false;
  }

  collection(name: string, size: number, forEach: unknown, o: object, pairs: boolean, depth: number): void {
    this.write(`${name}(${numberText(size)}) {`);
    let i = 0;
    let stopped = false;
    apply(forEach as (cb: (v: unknown, k: unknown) => void) => void, o, [
      (v: unknown, k: unknown) => {
        if (stopped) return;
        if (i > 0) this.write(',');
        if (this.nodes > MAX_NODES || this.full) {
          this.write('…');
          stopped = true;
          return;
        }
        i++;
        if (pairs) {
          this.value(k, depth + 1);
          this.write(' => ');
        }
        this.value(v, depth + 1);
      },
    ]);
    this.write('}');
  }
}

/** Preview of `value`, at most `maxChars` characters long. Never throws. */
export function valuePreview(value: unknown, maxChars: number): ValuePreview {
  const walk = new Walk(maxChars);
  try {
    walk.value(value, 0);
    return { preview: walk.out, size: walk.size };
  } catch {
    return { preview: walk.out === '' ? '[unpreviewable]' : walk.out, size: walk.size };
  }
}
