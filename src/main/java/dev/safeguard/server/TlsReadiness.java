package dev.safeguard.server;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The served certificate, and whether the files on disk hold something else that was refused. Up while the
 * served certificate is valid: a refused renewal leaves the previous certificate serving, and taking every
 * replica out of the Service for it would turn a bad Secret into an outage. Down once the served certificate
 * has expired, since every handshake then fails anyway.
 */
@Readiness
@ApplicationScoped
public class TlsReadiness implements HealthCheck {

    private final TlsReloader tls;

    public TlsReadiness(TlsReloader tls) {
        this.tls = tls;
    }

    @Override
    public HealthCheckResponse call() {
        ServingCertificate serving = tls.serving();
        boolean valid = serving.notAfter().isAfter(Instant.now());
        HealthCheckResponseBuilder response = HealthCheckResponse.named("tls").status(valid)
                .withData("subject", serving.leaf().getSubjectX500Principal().getName())
                .withData("serial", serving.leaf().getSerialNumber().toString(16))
                .withData("notAfter", serving.notAfter().toString());
        String rejected = tls.rejectedReason();
        response.withData("files", rejected == null ? "serving" : "rejected: " + rejected);
        return response.build();
    }
}
