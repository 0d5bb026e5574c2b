//! Numbers, money, dates and timestamps written as text, without allocation or `chrono` formatting.

use chrono::DateTime;

use super::Ms;
use super::vocabulary::MONTHS;

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(super) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn put_digits(buf: &mut [u8], mut v: u64) {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes `2026-03-10T15:30:12.930Z`.
pub(super) fn push_ts(out: &mut String, ms: Ms) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000) as u64;
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        let dt = DateTime::from_timestamp_millis(ms).unwrap_or_default();
        out.push_str(&dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        return;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    put_digits(&mut b[0..4], y as u64);
    put_digits(&mut b[5..7], m.into());
    put_digits(&mut b[8..10], d.into());
    put_digits(&mut b[11..13], rem / 3_600_000);
    put_digits(&mut b[14..16], rem / 60_000 % 60);
    put_digits(&mut b[17..19], rem / 1000 % 60);
    put_digits(&mut b[20..23], rem % 1000);
    out.push_str(std::str::from_utf8(&b).unwrap_or(""));
}

/// Writes `2026-03-12`.
pub(super) fn push_date_iso(out: &mut String, ms: Ms) {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    let mut b = *b"0000-00-00";
    put_digits(&mut b[0..4], y.clamp(0, 9999) as u64);
    put_digits(&mut b[5..7], m.into());
    put_digits(&mut b[8..10], d.into());
    out.push_str(std::str::from_utf8(&b).unwrap_or(""));
}

/// Writes `March 12`.
pub(super) fn push_date_words(out: &mut String, ms: Ms) {
    let (_, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    out.push_str(MONTHS[(m - 1) as usize]);
    out.push(' ');
    push_u64(out, d.into());
}

pub(super) fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Writes `v` rounded to `places` decimals, without trailing zeros (`42.5`, `1`, `0.9412`).
pub(super) fn push_dec(out: &mut String, v: f64, places: u32) {
    let scale = 10u64.pow(places);
    let scaled = (v.abs() * scale as f64).round() as u64;
    if v < 0.0 && scaled != 0 {
        out.push('-');
    }
    push_u64(out, scaled / scale);
    let mut frac = scaled % scale;
    if frac != 0 {
        let mut width = places as usize;
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        let mut buf = [b'0'; 20];
        put_digits(&mut buf[..width], frac);
        out.push_str(std::str::from_utf8(&buf[..width]).unwrap_or(""));
    }
}

/// Writes `42.50` style money amounts from cents.
pub(super) fn push_money(out: &mut String, cents: u32) {
    out.push('$');
    push_u64(out, (cents / 100).into());
    out.push('.');
    let c = cents % 100;
    out.push((b'0' + (c / 10) as u8) as char);
    out.push((b'0' + (c % 10) as u8) as char);
}

pub(super) const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
pub(super) const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// English words for 0..=9999 ("forty two", "one hundred five").
pub(super) fn push_words(out: &mut String, n: u32) {
    if n >= 1000 {
        push_words(out, n / 1000);
        out.push_str(" thousand");
        if !n.is_multiple_of(1000) {
            out.push(' ');
            push_words(out, n % 1000);
        }
    } else if n >= 100 {
        out.push_str(ONES[(n / 100) as usize]);
        out.push_str(" hundred");
        if !n.is_multiple_of(100) {
            out.push(' ');
            push_words(out, n % 100);
        }
    } else if n >= 20 {
        out.push_str(TENS[(n / 10) as usize]);
        if !n.is_multiple_of(10) {
            out.push(' ');
            out.push_str(ONES[(n % 10) as usize]);
        }
    } else {
        out.push_str(ONES[n as usize]);
    }
}

/// Digit by digit: "four eight two one five".
pub(super) fn push_digit_words(out: &mut String, n: u32, width: usize) {
    let mut buf = [0u8; 10];
    put_digits(&mut buf[..width], n.into());
    for (i, b) in buf[..width].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(ONES[(b - b'0') as usize]);
    }
}
