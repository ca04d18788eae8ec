package dev.safeguard.server;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * The clock decisions read "now" from (dated enforcement, exemption ends): the system's, in UTC. One bean, so tests
 * move time by replacing it instead of sleeping.
 */
public class Clocks {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
