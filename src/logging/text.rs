//! The human log line, written in one pass: `2026-11-30T18:49:38.035964Z  INFO message
//! name=value ...`, the layout of tracing-subscriber's default text format (RFC 3339 UTC
//! time to the microsecond, the level right-aligned in five columns, then the message and
//! the fields). Ours formats the time and each field straight into the line, without the
//! per-field styling the general formatter goes through on every event; strings are
//! written as Rust debug strings (quoted, control characters escaped), so a value can
//! never forge a line of its own.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats each event as one text line; colours the level when the writer takes ANSI
/// escapes (a terminal).
pub struct TextLine;

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_utc(&mut writer, SystemTime::now())?;
        let level = *event.metadata().level();
        if writer.has_ansi_escapes() {
            write!(writer, " \x1b[{}m{level:>5}\x1b[0m ", colour(level))?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writeln!(writer)
    }
}

/// The colours tracing-subscriber gives each level.
fn colour(level: Level) -> &'static str {
    match level {
        Level::ERROR => "31",
        Level::WARN => "33",
        Level::INFO => "32",
        Level::DEBUG => "34",
        Level::TRACE => "35",
    }
}

/// Writes the message bare and every other field as `name=value`, space-separated.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    /// Writes the separator and, unless it is the message, `name=`; then `value` writes
    /// the value. Nothing after the first failed write.
    fn write(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let mut head = || {
            if !self.first {
                self.writer.write_char(' ')?;
            }
            if field.name() != "message" {
                self.writer.write_str(field.name())?;
                self.writer.write_char('=')?;
            }
            Ok(())
        };
        self.result = head().and_then(|()| value(self.writer));
        self.first = false;
    }

    fn number(&mut self, field: &Field, value: impl itoa::Integer) {
        self.write(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }
}

impl Visit for Fields<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, |w| write!(w, "{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, |w| w.write_str(value));
        } else {
            self.write(field, |w| write_quoted(w, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.number(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.write(field, |w| w.write_str(if value { "true" } else { "false" }));
    }
}

/// `value` as a Rust debug string: quoted, with quotes, backslashes and control
/// characters escaped. Plain printable ASCII, the usual case, is copied as it is.
fn write_quoted(writer: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let plain = value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if !plain {
        return write!(writer, "{value:?}");
    }
    writer.write_char('"')?;
    writer.write_str(value)?;
    writer.write_char('"')
}

/// `time` as RFC 3339 UTC with microseconds (`2026-11-30T18:49:38.035964Z`).
fn write_utc(writer: &mut impl fmt::Write, time: SystemTime) -> fmt::Result {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_date(secs / 86_400);
    let of_day = secs % 86_400;
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (range, value) in [
        (0..4, year),
        (5..7, month),
        (8..10, day),
        (11..13, of_day / 3600),
        (14..16, of_day / 60 % 60),
        (17..19, of_day % 60),
        (20..26, u64::from(since.subsec_micros())),
    ] {
        put_digits(&mut text[range], value);
    }
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// Writes the last `digits.len()` decimal digits of `value` into `digits`, zero-padded.
fn put_digits(digits: &mut [u8], mut value: u64) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`, https://howardhinnant.github.io/date_algorithms.html).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn utc(secs: u64, micros: u64) -> String {
        let mut out = String::new();
        let time = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
        write_utc(&mut out, time).unwrap();
        out
    }

    #[test]
    fn times_are_rfc3339_utc_to_the_microsecond() {
        assert_eq!(utc(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(utc(1_796_064_578, 35_964), "2026-11-30T18:49:38.035964Z");
        // A leap day, and the day after the end of a century that is not a leap year.
        assert_eq!(utc(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(utc(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        assert_eq!(utc(1_798_761_599, 999_999), "2026-12-31T23:59:59.999999Z");
    }

    /// The lines a subscriber with [`TextLine`] writes while `body` runs.
    fn lines_of(body: impl FnOnce()) -> String {
        use std::sync::{Arc, Mutex};
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .event_format(TextLine)
            .finish();
        tracing::subscriber::with_default(subscriber, body);
        let bytes = buffer.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_has_the_time_level_message_and_fields_and_strings_cannot_break_it() {
        let id = "req_1";
        let lines = lines_of(|| {
            tracing::info!(
                request_id = %id,
                rule = "default",
                model = "evil\n2026-01-01T00:00:00.000000Z  INFO forged",
                status = 200u16,
                upstream_ms = None::<u64>,
                ok = true,
                "request"
            );
            tracing::warn!("plain {}", 42);
        });
        let mut lines = lines.lines();
        let first = lines.next().unwrap();
        let (time, rest) = first.split_at(27);
        assert!(
            time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{first}"
        );
        assert_eq!(
            rest,
            r#"  INFO request request_id=req_1 rule="default" model="evil\n2026-01-01T00:00:00.000000Z  INFO forged" status=200 ok=true"#
        );
        assert_eq!(&lines.next().unwrap()[27..], "  WARN plain 42");
        assert_eq!(lines.next(), None);
    }

    proptest::proptest! {
        /// A string is written exactly as its debug form, on the fast path or not.
        #[test]
        fn strings_are_written_as_their_debug_form(value in "\\PC*|[ -~]*") {
            let mut out = String::new();
            write_quoted(&mut out, &value).unwrap();
            proptest::prop_assert_eq!(out, format!("{value:?}"));
        }
    }

    #[test]
    fn every_day_follows_the_one_before() {
        let mut last = civil_date(0);
        for days in 1..200_000 {
            let (y, m, d) = civil_date(days);
            let next_day = (y, m, d) == (last.0, last.1, last.2 + 1);
            let next_month = (y, m, d) == (last.0, last.1 + 1, 1) && last.2 >= 28;
            let next_year = (y, m, d) == (last.0 + 1, 1, 1) && (last.1, last.2) == (12, 31);
            assert!(
                next_day || next_month || next_year,
                "{last:?} then {:?}",
                (y, m, d)
            );
            last = (y, m, d);
        }
    }
}
