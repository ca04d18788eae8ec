package dev.safeguard.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The dates a policy and an exemption carry (a rule's {@code enforceFrom}, an object's
 * {@code safeguard.dev/exempt-until}): RFC 3339, either a full-date, meaning 00:00 UTC that day, or a date-time with
 * its offset. Read and written here only, so that every message spells a date the way it was written.
 */
public final class PolicyDates {

    private PolicyDates() {
    }

    /** The instant {@code text} names. */
    public static Instant parse(String text) throws DateTimeParseException {
        String value = text.strip();
        if (value.length() == 10) {
            return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        return OffsetDateTime.parse(value).toInstant();
    }

    /** What an error says a date should look like. */
    public static String expected(String what, String value) {
        return what + " '" + value + "' is not an RFC 3339 date (2027-01-15, meaning 00:00 UTC) or date-time "
                + "(2027-01-15T09:00:00Z)";
    }

    /** {@code 2027-01-15} for midnight UTC, else the instant in UTC ({@code 2027-01-15T09:30:00Z}). */
    public static String format(Instant instant) {
        OffsetDateTime utc = instant.atOffset(ZoneOffset.UTC);
        return utc.toLocalTime().toSecondOfDay() == 0 && utc.getNano() == 0 ? utc.toLocalDate().toString()
                : instant.toString();
    }

    /** How far {@code to} is from {@code from}, for people: "in 12 days", "in 5 hours", "3 days ago". */
    public static String relative(Instant from, Instant to) {
        Duration between = Duration.between(from, to);
        boolean ahead = !between.isNegative();
        Duration span = between.abs();
        String amount;
        if (span.toDays() >= 1) {
            long days = span.toDays() + (span.toHours() % 24 >= 12 ? 1 : 0);
            amount = plural(days, "day");
        } else if (span.toHours() >= 1) {
            amount = plural(span.toHours(), "hour");
        } else {
            amount = plural(Math.max(1, span.toMinutes()), "minute");
        }
        return ahead ? "in " + amount : amount + " ago";
    }

    private static String plural(long count, String unit) {
        return count + " " + unit + (count == 1 ? "" : "s");
    }
}
