package dev.safeguard;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The webhook's clock in tests: the system's until a test sets a moment, so that dated enforcement and exemption ends
 * are tested by moving time, never by sleeping. Replaces {@code dev.safeguard.server.Clocks}' bean in every
 * {@code @QuarkusTest}; a test that sets a moment resets it when done.
 */
@Alternative
@Priority(1)
@Singleton
public class MovableClock extends Clock {

    private volatile Instant fixed;

    /** From now on "now" is {@code moment}. */
    public void set(Instant moment) {
        fixed = moment;
    }

    /** Back to the system clock. */
    public void reset() {
        fixed = null;
    }

    @Override
    public Instant instant() {
        Instant moment = fixed;
        return moment != null ? moment : Instant.now();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("decisions are made in UTC");
    }
}
