package dev.safeguard.admission;

import dev.safeguard.config.SafeguardConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The {@link InputLimits} of safeguard.admission.limits.* (defaults in application.properties). */
public class InputLimitsProducer {

    @Produces
    @Singleton
    InputLimits limits(SafeguardConfig config) {
        SafeguardConfig.Limits limits = config.admission().limits();
        return new InputLimits(limits.maxDepth(), limits.maxValues(), limits.maxListItems(), limits.maxStringLength(),
                limits.maxContainers(), limits.maxEnv());
    }
}
