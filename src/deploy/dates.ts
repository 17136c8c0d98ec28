// Calendar days as answers, waivers and sign-offs write them: YYYY-MM-DD, compared as strings.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The one rule for a date a person types (an expiry, the day of a restore drill): YYYY-MM-DD and
 * a day the calendar has (proleptic Gregorian), so 2026-13-40 and 2099-02-30 are refused.
 */
export function isCalendarDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DAY.exec(v);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** Today as YYYY-MM-DD in UTC, so an expiry means the same day on every machine (and in CI). */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
