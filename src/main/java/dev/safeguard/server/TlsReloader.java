package dev.safeguard.server;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.tls.CertificateUpdatedEvent;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Serves renewed certificates without a restart, and never a broken pair. Every
 * {@code safeguard.tls.check-interval} the PEM files are read; when their content changed, the pair is
 * verified ({@link ServingCertificate}: parses, key matches certificate, within its validity) and only then
 * installed in the HTTPS server. A refused pair is logged once, counted
 * ({@code safeguard_tls_reloads_total{result="rejected"}}) and shown by the readiness check {@code tls}; the
 * previous certificate keeps serving. Unchanged files are neither reloaded nor logged. At start-up an unusable
 * pair stops the process with the reason.
 *
 * <p>This replaces Quarkus' own {@code quarkus.tls.<name>.reload-period}, which installs whatever the files
 * hold, every period, and logs each time.
 */
@Startup
@ApplicationScoped
public class TlsReloader {

    static final String TLS_CONFIGURATION = "webhook";
    private static final Logger LOG = Logger.getLogger(TlsReloader.class);

    private final TlsConfigurationRegistry registry;
    private final Event<CertificateUpdatedEvent> updated;
    private final SafeguardMetrics metrics;
    private final Vertx vertx;
    private final Path certFile;
    private final Path keyFile;
    private final ScheduledExecutorService checker;
    private volatile ServingCertificate serving;
    /** Fingerprint of the file content last refused, so that a bad pair is logged and counted once. */
    private volatile String rejectedFingerprint;
    private volatile String rejectedReason;

    public TlsReloader(TlsConfigurationRegistry registry, Event<CertificateUpdatedEvent> updated,
            SafeguardMetrics metrics, Vertx vertx, SafeguardConfig config) {
        String certFile = config.tls().cert().orElseThrow(() -> new IllegalStateException(
                "safeguard.tls.cert is not set: the serving certificate (PEM), SAFEGUARD_TLS_CERT"));
        String keyFile = config.tls().key().orElseThrow(() -> new IllegalStateException(
                "safeguard.tls.key is not set: the serving certificate's key (PEM), SAFEGUARD_TLS_KEY"));
        Duration interval = config.tls().checkInterval();
        this.registry = registry;
        this.updated = updated;
        this.metrics = metrics;
        this.vertx = vertx;
        this.certFile = Path.of(certFile);
        this.keyFile = Path.of(keyFile);
        try {
            byte[] cert = Files.readAllBytes(this.certFile);
            byte[] key = Files.readAllBytes(this.keyFile);
            this.serving = ServingCertificate.verify(vertx, cert, key, Instant.now());
        } catch (IOException | ServingCertificate.Rejected e) {
            String reason = "cannot start: the TLS certificate " + certFile + " with key " + keyFile
                    + " is not usable: " + e.getMessage();
            LOG.error(reason);
            throw new IllegalStateException(reason, e);
        }
        metrics.registerTlsExpiry(() -> Duration.between(Instant.now(), serving.notAfter()).toSeconds());
        this.checker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "safeguard-tls-reloader");
            thread.setDaemon(true);
            return thread;
        });
        checker.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reads the files and installs a changed, verified pair. */
    synchronized void check() {
        try {
            byte[] cert = Files.readAllBytes(certFile);
            byte[] key = Files.readAllBytes(keyFile);
            String fingerprint = ServingCertificate.fingerprint(cert, key);
            if (fingerprint.equals(serving.fingerprint()) || fingerprint.equals(rejectedFingerprint)) {
                return;
            }
            ServingCertificate candidate;
            try {
                candidate = ServingCertificate.verify(vertx, cert, key, Instant.now());
            } catch (ServingCertificate.Rejected e) {
                reject(fingerprint, e.getMessage());
                return;
            }
            install(candidate);
        } catch (IOException e) {
            // A Secret update swaps the files atomically; an unreadable file is most likely mid-update.
            LOG.debugf("TLS reload: cannot read the certificate files yet (%s); trying again", e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "TLS reload failed unexpectedly; still serving %s", ServingCertificate.describe(serving.leaf()));
        }
    }

    private void install(ServingCertificate candidate) {
        TlsConfiguration configuration = registry.get(TLS_CONFIGURATION).orElseThrow(
                () -> new IllegalStateException("no TLS configuration named " + TLS_CONFIGURATION));
        if (!configuration.reload()) {
            reject(candidate.fingerprint(), "the HTTPS server could not load the files");
            return;
        }
        // The files may have changed again between the check and the reload: install only what was verified.
        if (!candidate.leaf().equals(loadedLeaf(configuration.getKeyStore()))) {
            LOG.debugf("TLS reload: the files changed while reloading; checking again at the next interval");
            return;
        }
        updated.fire(new CertificateUpdatedEvent(TLS_CONFIGURATION, configuration));
        ServingCertificate previous = serving;
        serving = candidate;
        rejectedFingerprint = null;
        rejectedReason = null;
        metrics.recordTlsReload("success");
        LOG.infof("TLS certificate reloaded: now serving %s (was %s)", ServingCertificate.describe(candidate.leaf()),
                ServingCertificate.describe(previous.leaf()));
    }

    private void reject(String fingerprint, String reason) {
        rejectedFingerprint = fingerprint;
        rejectedReason = reason;
        metrics.recordTlsReload("rejected");
        LOG.errorf("TLS certificate files %s and %s were not installed: %s. Still serving %s", certFile, keyFile,
                reason, ServingCertificate.describe(serving.leaf()));
    }

    private static Certificate loadedLeaf(KeyStore store) {
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Certificate[] chain = store.getCertificateChain(alias);
                    return chain == null || chain.length == 0 ? null : chain[0];
                }
            }
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    /** The certificate being served. */
    public ServingCertificate serving() {
        return serving;
    }

    /** Why the files' current content was refused, or null when they hold what is served. */
    public String rejectedReason() {
        return rejectedReason;
    }

    void stop(@Observes ShutdownEvent event) {
        checker.shutdownNow();
    }
}
