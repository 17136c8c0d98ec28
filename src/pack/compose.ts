import type {PathKey} from '../sources/yamlDoc.js';
import {FilesSchema, type Pack, type PackFiles, type PackInput, type PackItem, type PackSection} from './schema.js';

/**
 * Composition: a pack that `extends` others takes in their items. Pure: the packs it is given are
 * already loaded (and composed themselves); the loader (src/pack/load.ts) finds the files, stops
 * cycles and turns the problems' paths into file:line:col.
 *
 * The rules, in the order they apply:
 * - the pack's own items come first and win: an inherited item with the same id is left out;
 * - inherited items keep their section; a section id the pack also has takes them in at its end;
 * - one id from two different packs (neither this one) is a problem unless this pack drops it or
 *   defines its own item of that id: which of the two is meant cannot be guessed;
 * - `drop` removes an inherited item and must say why; `override` replaces whole fields of one;
 * - inputs: the pack's own, then inherited ones it does not declare; `files`: a setting the pack
 *   leaves at its default takes the first base's that is not; detect rules are never inherited
 *   (a pack for one product must not claim every Compose folder).
 */

export interface ComposeProblem {
  /** Where in the extending pack's file. */
  path: PathKey[];
  message: string;
}

export interface BasePack {
  /** The id as written under `extends`. */
  ref: string;
  pack: Pack;
}

interface Inherited {
  item: PackItem;
  /** The item as its pack has it, before this pack's `extends` condition: for telling two copies apart. */
  raw: PackItem;
  section: {id: string; title: string};
  origin: string;
  /** Index in `extends` of the pack it came through. */
  via: number;
}

const FILE_DEFAULTS: PackFiles = FilesSchema.parse({});

export function composePack(own: Pack, bases: readonly BasePack[]): {pack: Pack; problems: ComposeProblem[]} {
  const problems: ComposeProblem[] = [];
  const ownIds = new Set(own.sections.flatMap((s) => s.items.map((i) => i.id)));
  const inherited = new Map<string, Inherited>();
  const conflicts = new Map<string, {first: Inherited; other: string; via: number}>();

  bases.forEach((base, via) => {
    for (const section of base.pack.sections) {
      for (const item of section.items) {
        if (ownIds.has(item.id)) continue;
        const origin = base.pack.origin?.[item.id] ?? base.pack.id;
        const before = inherited.get(item.id);
        if (before) {
          // The same item reached twice (two bases that both extend a third) is one item.
          const same = before.origin === origin && JSON.stringify(before.raw) === JSON.stringify(item);
          if (!same && !conflicts.has(item.id)) conflicts.set(item.id, {first: before, other: origin, via});
          continue;
        }
        // `extends: [{pack, when}]`: the condition goes on every item taken in, unless the item
        // already has its own condition on that input (the narrower one is the item's).
        const when = own.extends[via]?.when;
        const withWhen = when ? {...item, when: {...when, ...item.when}} : item;
        inherited.set(item.id, {item: withWhen, raw: item, section: {id: section.id, title: section.title}, origin, via});
      }
    }
  });

  const dropped = new Set<string>();
  own.drop.forEach((d, n) => {
    if (ownIds.has(d.id)) problems.push({path: ['drop', n, 'id'], message: `"${d.id}" is this pack's own item: delete it rather than drop it`});
    else if (!inherited.has(d.id)) problems.push({path: ['drop', n, 'id'], message: `no inherited item "${d.id}" to drop${nearest(d.id, inherited, bases)}`});
    else if (dropped.has(d.id)) problems.push({path: ['drop', n, 'id'], message: `"${d.id}" is dropped twice`});
    dropped.add(d.id);
  });

  for (const [id, c] of conflicts) {
    if (dropped.has(id)) continue;
    problems.push({
      path: ['extends', c.via],
      message: `item "${id}" comes from both ${c.first.origin} and ${c.other}: give this pack its own item "${id}", or drop it with a reason`,
    });
  }

  const overridden = new Set<string>();
  own.override.forEach((o, n) => {
    const at: PathKey[] = ['override', n, 'id'];
    if (ownIds.has(o.id)) problems.push({path: at, message: `"${o.id}" is this pack's own item: change it in place rather than override it`});
    else if (dropped.has(o.id)) problems.push({path: at, message: `"${o.id}" is dropped as well as overridden: keep one`});
    else if (overridden.has(o.id)) problems.push({path: at, message: `"${o.id}" is overridden twice: put the fields in one entry`});
    else {
      const entry = inherited.get(o.id);
      if (!entry) {
        problems.push({path: at, message: `no inherited item "${o.id}" to override${nearest(o.id, inherited, bases)}`});
        return;
      }
      const {id: _id, ...fields} = o;
      const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<PackItem>;
      // A `when` given here narrows the item; it never lifts the condition of the extends entry.
      const outer = own.extends[entry.via]?.when;
      if (set.when && outer) set.when = {...outer, ...set.when};
      entry.item = {...entry.item, ...set};
    }
    overridden.add(o.id);
  });

  // Sections: the pack's own, in its order, then the inherited ones in the order first met.
  const sections: PackSection[] = own.sections.map((s) => ({...s, items: [...s.items]}));
  const byId = new Map(sections.map((s) => [s.id, s]));
  const origin: Record<string, string> = {};
  for (const [id, entry] of inherited) {
    if (dropped.has(id) || conflicts.has(id)) continue;
    let section = byId.get(entry.section.id);
    if (!section) {
      section = {id: entry.section.id, title: entry.section.title, items: []};
      sections.push(section);
      byId.set(section.id, section);
    }
    section.items.push(entry.item);
    origin[id] = entry.origin;
  }

  const inputs: PackInput[] = [...own.inputs];
  for (const base of bases) for (const input of base.pack.inputs) if (!inputs.some((i) => i.id === input.id)) inputs.push(input);

  const files = {...own.files} as Record<keyof PackFiles, unknown>;
  for (const key of Object.keys(FILE_DEFAULTS) as (keyof PackFiles)[]) {
    if (!sameJson(own.files[key], FILE_DEFAULTS[key])) continue;
    const set = bases.find((b) => !sameJson(b.pack.files[key], FILE_DEFAULTS[key]));
    if (set) files[key] = set.pack.files[key];
  }

  const droppedWhy = own.drop.filter((d) => inherited.has(d.id)).map((d) => ({id: d.id, from: inherited.get(d.id)!.origin, reason: d.reason}));
  const composedOf = [...new Set(bases.flatMap((b) => [b.pack.id, ...(b.pack.composedOf ?? [])]))];
  const pack: Pack = {...own, inputs, files: files as PackFiles, sections, origin, composedOf, dropped: droppedWhy};
  problems.push(...conditionProblems(pack, own, inherited, dropped));
  return {pack, problems};
}

/**
 * Every `when` of the composed pack names an input it has and a choice of that input. The pack's
 * own conditions are checked here rather than by the schema, because their input may be inherited.
 */
function conditionProblems(pack: Pack, own: Pack, inherited: ReadonlyMap<string, Inherited>, dropped: ReadonlySet<string>): ComposeProblem[] {
  const out: ComposeProblem[] = [];
  const check = (when: Record<string, string | string[]> | undefined, report: (inputId: string, message: string) => void) => {
    for (const [inputId, want] of Object.entries(when ?? {})) {
      const input = pack.inputs.find((i) => i.id === inputId);
      if (!input) {
        report(inputId, `unknown input "${inputId}" (declare it under inputs, or extend the pack that declares it)`);
        continue;
      }
      for (const v of Array.isArray(want) ? want : [want]) {
        if (!input.choices.some((c) => c.value === v))
          report(inputId, `"${v}" is not a choice of input ${inputId} (${input.choices.map((c) => c.value).join(', ')})`);
      }
    }
  };
  if (own.extends.length > 0)
    own.sections.forEach((section, s) =>
      section.items.forEach((item, i) => {
        const at: PathKey[] = ['sections', s, 'items', i];
        check(item.when, (k, m) => out.push({path: [...at, 'when', k], message: m}));
        item.verify?.forEach((step, v) => check(step.when, (k, m) => out.push({path: [...at, 'verify', v, 'when', k], message: m})));
      }),
    );
  own.extends.forEach((e, n) => check(e.when, (k, m) => out.push({path: ['extends', n, 'when', k], message: m})));
  own.override.forEach((o, n) => {
    check(o.when, (k, m) => out.push({path: ['override', n, 'when', k], message: m}));
    o.verify?.forEach((step, v) => check(step.when, (k, m) => out.push({path: ['override', n, 'verify', v, 'when', k], message: m})));
  });
  // An inherited item can break only when this pack redeclares an input with other choices.
  const overriddenIds = new Set(own.override.map((o) => o.id));
  for (const [id, entry] of inherited) {
    if (dropped.has(id) || overriddenIds.has(id)) continue;
    // A condition added by the extends entry is reported once, at that entry.
    const added = own.extends[entry.via]?.when ?? {};
    const report = (k: string, m: string) =>
      k in added || out.push({path: ['extends', entry.via], message: `inherited item "${id}" (from ${entry.origin}): ${m}; override its when, or drop it`});
    check(entry.item.when, report);
    for (const step of entry.item.verify ?? []) check(step.when, report);
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function nearest(id: string, inherited: ReadonlyMap<string, Inherited>, bases: readonly BasePack[]): string {
  if (bases.length === 0) return ': this pack extends nothing (add extends: [pack-id])';
  const words = id.split('-');
  const near = [...inherited.keys()].filter((k) => words.some((w) => w.length > 2 && k.includes(w))).slice(0, 5);
  return near.length > 0
    ? ` (did you mean ${near.join(', ')}?)`
    : `: ${bases.map((b) => b.ref).join(', ')} ${bases.length === 1 ? 'has' : 'have'} no item of that id`;
}

/** Every pack id a composed pack stands on, itself first: for detection to know what a pack covers. */
export function packIdsOf(pack: Pack): string[] {
  return [pack.id, ...(pack.composedOf ?? [])];
}
