package dev.safeguard.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * With context lookups on, not ready until every informer has listed its kind once: the API server is not
 * answered from half a cache. With them off, always up.
 */
@Readiness
@ApplicationScoped
public class ContextReadiness implements HealthCheck {

    private final InformerRelatedObjects context;

    public ContextReadiness(InformerRelatedObjects context) {
        this.context = context;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("context");
        if (!context.enabled()) {
            return response.up().withData("context", "disabled").build();
        }
        response.status(context.allSynced());
        context.status().forEach((kind, synced) -> response.withData(kind, synced ? "synced" : "syncing"));
        return response.build();
    }
}
