// deploy/dates: the one rule for a date a person types.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isCalendarDate, today} from '../../src/deploy/dates.js';

test('real calendar days pass, leap days only in leap years', () => {
  for (const d of ['2026-01-01', '2026-12-31', '2024-02-29', '2000-02-29', '2099-02-28', '2026-04-30', '0001-01-01', '9999-12-31']) {
    assert.equal(isCalendarDate(d), true, d);
  }
});

test('days the calendar does not have, and other shapes, are refused', () => {
  for (const d of [
    '2026-13-40',
    '2099-02-30',
    '2026-02-29',
    '1900-02-29',
    '2100-02-29',
    '2026-04-31',
    '2026-00-10',
    '2026-01-00',
    '2026-1-1',
    '26-01-01',
    '2026-01-01T00:00:00Z',
    ' 2026-01-01',
    '2026/01/01',
    '',
  ]) {
    assert.equal(isCalendarDate(d), false, d);
  }
  assert.equal(isCalendarDate(undefined), false);
  assert.equal(isCalendarDate(20260101), false);
});

test('today is the UTC day, in the same form', () => {
  assert.equal(today(new Date('2026-03-01T23:30:00-05:00')), '2026-03-02');
  assert.equal(today(new Date('2026-12-31T00:00:00Z')), '2026-12-31');
  assert.ok(isCalendarDate(today()));
});
