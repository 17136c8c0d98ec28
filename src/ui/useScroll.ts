import {useReducer, useRef} from 'react';
import type {Command} from './key/keyBindings.js';
import {maxOffset, pageSize} from './scroll.js';

/** The screen's body, and the question inside an answer form: each scrolls on its own. */
export type ScrollArea = 'main' | 'dialog';

interface AreaState {
  /** What is shown (a screen and item, a dialog): something new starts at the top. */
  id: string;
  offset: number;
  max: number;
  page: number;
}

const fresh = (): AreaState => ({id: '', offset: 0, max: 0, page: 1});

/**
 * Scroll offsets kept outside React's render cycle, like the navigation store: a burst of
 * page keys arrives before the next render, and each must move from where the last one left.
 * Rendering tells each area what it shows and how tall it is; keys move within those bounds.
 */
export function useScroll() {
  const areas = useRef<Record<ScrollArea, AreaState>>({main: fresh(), dialog: fresh()});
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  return {
    /** Called while rendering: the offset to draw `total` rows in `height` rows of the area. */
    offset(area: ScrollArea, id: string, total: number, height: number): number {
      const a = areas.current[area];
      if (a.id !== id) {
        a.id = id;
        a.offset = 0;
      }
      a.max = maxOffset(total, height);
      a.page = pageSize(height);
      a.offset = Math.min(a.offset, a.max);
      return a.offset;
    },
    /** A scroll command; false when the area is already at that end (nothing to redraw). */
    move(area: ScrollArea, cmd: Extract<Command, 'scroll-up' | 'scroll-down' | 'page-up' | 'page-down'>): boolean {
      const a = areas.current[area];
      const delta = {'scroll-up': -1, 'scroll-down': 1, 'page-up': -a.page, 'page-down': a.page}[cmd];
      const next = Math.min(Math.max(a.offset + delta, 0), a.max);
      if (next === a.offset) return false;
      a.offset = next;
      rerender();
      return true;
    },
  };
}
