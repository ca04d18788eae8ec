package dev.safeguard.server;

import io.quarkus.runtime.StartupEvent;
import dev.safeguard.config.SafeguardConfig;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Says at start-up where the webhook listens and which certificate it serves. */
public class StartupReport {

    private static final Logger LOG = Logger.getLogger(StartupReport.class);

    /** Takes the PolicyHolder so that the policy is loaded (or start-up has failed) before this reports. */
    void onStart(@Observes StartupEvent event, PolicyHolder policies,
            @ConfigProperty(name = "quarkus.http.ssl-port") int tlsPort,
            @ConfigProperty(name = "quarkus.management.port") int managementPort, SafeguardConfig config) {
        var policy = policies.current(); // loads the policy now: a bad one fails start-up before anything says "ready"
        String certificate = config.tls().cert().orElse("(none)");
        String generated = config.tls().generated().orElse(null);
        if (generated != null) {
            LOG.warnf("no TLS certificate configured (%s/%s): serving a generated self-signed certificate for "
                    + "localhost (%s). Fine for trying it out; an API server will only trust it with this file "
                    + "as the webhook's caBundle.", SelfSignedTls.CERT_ENV, SelfSignedTls.KEY_ENV, generated);
        } else {
            LOG.infof("serving TLS with certificate %s (reloaded when the file changes)", certificate);
        }
        LOG.infof("admission webhook: POST https://0.0.0.0:%d/validate (policy %s, mode %s); health and metrics: "
                + "http://0.0.0.0:%d/q/health, /q/metrics", tlsPort, policy.name(), policy.mode().id(), managementPort);
    }
}
