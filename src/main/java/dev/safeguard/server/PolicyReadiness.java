package dev.safeguard.server;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once a policy is loaded: the webhook then answers every review it is sent. */
@Readiness
@ApplicationScoped
public class PolicyReadiness implements HealthCheck {

    private final PolicyHolder policies;

    public PolicyReadiness(PolicyHolder policies) {
        this.policies = policies;
    }

    @Override
    public HealthCheckResponse call() {
        var policy = policies.current();
        return HealthCheckResponse.named("policy")
                .status(policy != null)
                .withData("policy", policy == null ? "none" : policy.name())
                .withData("version", policy == null ? "none" : policy.version())
                .withData("mode", policy == null ? "none" : policy.mode().id())
                .build();
    }
}
