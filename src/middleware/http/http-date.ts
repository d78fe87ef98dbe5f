/**
 * HTTP-date (RFC 9110 §5.6.7): formatting in the preferred IMF-fixdate form and parsing of all
 * three forms a recipient MUST accept (IMF-fixdate, obsolete RFC 850, ANSI C asctime).
 */

/** Month names as HTTP-dates (RFC 9110 §5.6.7) and Apache/nginx log times spell them. */
export const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** `Sun, 06 Nov 1994 08:49:37 GMT` for a time in milliseconds (sub-second part dropped). */
export function formatHttpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// asctime-date: Sun Nov  6 08:49:37 1994
const ASCTIME =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Seconds since the epoch for an HTTP-date, or `undefined` when the value is not one (a
 * recipient then ignores the header field: RFC 9110 §13.1.3, §13.1.4).
 */
export function parseHttpDate(value: string): number | undefined {
  const text = value.trim();
  let m = IMF.exec(text);
  if (m) return toSeconds(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = RFC850.exec(text);
  if (m) return toSeconds(rfc850Year(Number(m[3])), m[2], m[1], m[4], m[5], m[6]);
  m = ASCTIME.exec(text);
  if (m) return toSeconds(Number(m[6]), m[1], m[2].trim(), m[3], m[4], m[5]);
  return undefined;
}

// RFC 9110 §5.6.7: a two-digit year that appears more than 50 years in the future is the
// most recent past year with those digits.
function rfc850Year(twoDigits: number): number {
  const now = new Date().getUTCFullYear();
  let year = Math.floor(now / 100) * 100 + twoDigits;
  if (year > now + 50) year -= 100;
  return year;
}

function toSeconds(
  year: number,
  monthName: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const month = MONTHS.indexOf(monthName);
  const [d, h, mi, s] = [Number(day), Number(hour), Number(minute), Number(second)];
  // 60 is a leap second (RFC 9110 §5.6.7 allows it); Date folds it into the next minute.
  if (month < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month, d, h, mi, s);
  // Date.UTC rolls 31 Feb over to March: such a date is not a valid one.
  if (new Date(ms).getUTCDate() !== d && s !== 60) return undefined;
  return ms / 1000;
}
