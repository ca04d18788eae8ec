package dev.safeguard.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** The audit pod is ready once it has judged everything and written every report once; elsewhere always up. */
@Readiness
@ApplicationScoped
public class AuditReadiness implements HealthCheck {

    private final BackgroundAudit audit;

    public AuditReadiness(BackgroundAudit audit) {
        this.audit = audit;
    }

    @Override
    public HealthCheckResponse call() {
        if (!audit.enabled()) {
            return HealthCheckResponse.named("audit").up().withData("audit", "disabled").build();
        }
        return HealthCheckResponse.named("audit").status(audit.firstScanDone())
                .withData("audit", audit.firstScanDone() ? "reported" : "first scan running").build();
    }
}
