package dev.safeguard.admission;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The {@link InputLimits} of safeguard.admission.limits.* (defaults in application.properties). */
public class InputLimitsProducer {

    @Produces
    @Singleton
    InputLimits limits(
            @ConfigProperty(name = "safeguard.admission.limits.max-depth", defaultValue = "64") int maxDepth,
            @ConfigProperty(name = "safeguard.admission.limits.max-values", defaultValue = "200000") int maxValues,
            @ConfigProperty(name = "safeguard.admission.limits.max-list-items", defaultValue = "5000") int maxListItems,
            @ConfigProperty(name = "safeguard.admission.limits.max-string-length", defaultValue = "262144")
            int maxStringLength,
            @ConfigProperty(name = "safeguard.admission.limits.max-containers", defaultValue = "200") int maxContainers,
            @ConfigProperty(name = "safeguard.admission.limits.max-env", defaultValue = "1000") int maxEnv) {
        return new InputLimits(maxDepth, maxValues, maxListItems, maxStringLength, maxContainers, maxEnv);
    }
}
