/**
 * Which rows of a screen are shown when it is taller than the room it has. A row at the top
 * says how much is above, one at the bottom how much is below, so nothing is hidden silently.
 */

export interface ScrollWindow {
  /** First and one-past-last content row shown. */
  start: number;
  end: number;
  /** Rows hidden above and below (each shown as a marker row when not zero). */
  above: number;
  below: number;
}

function place(total: number, height: number, start: number): ScrollWindow {
  let rows = height - (start > 0 ? 1 : 0);
  if (start + rows < total) rows -= 1;
  const end = Math.min(start + rows, total);
  return {start, end, above: start, below: total - end};
}

/** The last useful offset: the one that shows the last row. */
export function maxOffset(total: number, height: number): number {
  return total <= height ? 0 : total - height + 1;
}

/** Rows moved by a page key: the rows shown between the markers, less one kept for context when there is room. */
export function pageSize(height: number): number {
  return Math.max(height - (height >= 6 ? 3 : 2), 1);
}

/**
 * The window of `total` rows in `height` rows, starting at `offset` (clamped), moved as little
 * as needed to keep the `focus` row (a list's cursor) in view.
 */
export function windowOf(total: number, height: number, offset: number, focus?: number): ScrollWindow {
  if (total <= height) return {start: 0, end: total, above: 0, below: 0};
  if (height < 3) {
    // No room for markers: show what fits around the focus.
    const start = Math.min(Math.max(focus !== undefined ? focus : offset, 0), total - height);
    return {start, end: start + height, above: start, below: total - start - height};
  }
  let start = Math.min(Math.max(offset, 0), maxOffset(total, height));
  if (focus !== undefined) {
    const f = Math.min(Math.max(focus, 0), total - 1);
    if (f < start) start = f;
    while (place(total, height, start).end <= f) start++;
  }
  return place(total, height, start);
}
