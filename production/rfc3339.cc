// RFC 3339 timestamps to and from microseconds since the Unix epoch, without
// the C library's time zone machinery (timegm is not standard, and the local
// zone must never reach a result).
#include <cstdio>
#include <string>

#include "production/import.h"

namespace qsim::production {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at s[*pos].
bool Digits(const std::string& s, size_t* pos, int n, int64_t* out) {
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    if (*pos >= s.size() || s[*pos] < '0' || s[*pos] > '9') return false;
    v = v * 10 + (s[(*pos)++] - '0');
  }
  *out = v;
  return true;
}

bool Expect(const std::string& s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// The fraction after '.', as microseconds; more than 6 digits must be zeros.
bool Fraction(const std::string& s, size_t* pos, int64_t* us, bool* finer) {
  *us = 0;
  if (*pos >= s.size() || s[*pos] != '.') return true;
  ++*pos;
  int n = 0;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    if (n < 6) *us = *us * 10 + (s[*pos] - '0');
    else if (s[*pos] != '0') *finer = true;
    ++n;
    ++*pos;
  }
  if (n == 0) return false;
  for (int i = n; i < 6; ++i) *us *= 10;
  return true;
}

// "Z", "UTC" (after a space), or "+hh:mm"/"-hh:mm": the offset in seconds.
bool Offset(const std::string& s, size_t* pos, bool bigquery, int64_t* seconds) {
  *seconds = 0;
  if (bigquery) {
    if (s.compare(*pos, std::string::npos, " UTC") == 0) {
      *pos = s.size();
      return true;
    }
  }
  if (*pos < s.size() && (s[*pos] == 'Z' || s[*pos] == 'z')) {
    ++*pos;
    return true;
  }
  if (*pos >= s.size() || (s[*pos] != '+' && s[*pos] != '-')) return false;
  const int64_t sign = s[(*pos)++] == '-' ? -1 : 1;
  int64_t hh = 0, mm = 0;
  if (!Digits(s, pos, 2, &hh) || !Expect(s, pos, ':') || !Digits(s, pos, 2, &mm) || hh > 23 || mm > 59) {
    return false;
  }
  *seconds = sign * (hh * 3600 + mm * 60);
  return true;
}

}  // namespace

StatusOr<int64_t> ParseRfc3339(const std::string& text) {
  const Status bad = InvalidArgument("\"" + text +
                                     "\" is not an RFC 3339 time such as \"2024-01-01T00:00:12.116Z\"");
  size_t pos = 0;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, us = 0, offset = 0;
  bool finer = false;
  if (!Digits(text, &pos, 4, &y) || !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &mo) ||
      !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &d)) {
    return bad;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return bad;
  const bool space = text[pos++] == ' ';
  if (!Digits(text, &pos, 2, &h) || !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &mi) ||
      !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &sec) || !Fraction(text, &pos, &us, &finer) ||
      !Offset(text, &pos, space, &offset) || pos != text.size()) {
    return bad;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
    return InvalidArgument("\"" + text + "\" is not a valid date and time");
  }
  if (finer) return InvalidArgument("\"" + text + "\" is finer than a microsecond");
  const int64_t seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  return seconds * 1000000 + us;
}

std::string FormatRfc3339(int64_t us) {
  int64_t seconds = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  const int64_t frac = us - seconds * 1000000;
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const int64_t rest = seconds - days * 86400;
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", static_cast<long long>(y),
                        static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rest / 3600),
                        static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  if (frac % 1000 == 0 && frac != 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%03lld", static_cast<long long>(frac / 1000));
  } else if (frac != 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
  }
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

}  // namespace qsim::production
