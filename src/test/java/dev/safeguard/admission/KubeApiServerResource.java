package dev.safeguard.admission;

import dev.safeguard.e2e.LocalBinariesCluster;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A real kube-apiserver (and etcd) from the local binaries, through kube-api-test, for the webhook under
 * {@code @QuarkusTest} to build its informer caches from: context lookups are switched on and the Quarkus
 * Kubernetes client is pointed at it through fabric8's {@code kubeconfig} system property (read when the
 * client is built, at start-up). Without the binaries nothing starts, context lookups stay off and
 * {@link ContextLookupsTest} is skipped with the reason.
 */
public class KubeApiServerResource implements QuarkusTestResourceLifecycleManager {

    private static final String KUBECONFIG_PROPERTY = "kubeconfig";

    private LocalBinariesCluster cluster;
    private String previousKubeconfig;

    /** Why the API server cannot run here, saying what to do; empty when it can. */
    static Optional<String> unavailable() {
        return new LocalBinariesCluster().unavailable();
    }

    @Override
    public Map<String, String> start() {
        if (unavailable().isPresent()) {
            return Map.of("safeguard.context.enabled", "false");
        }
        long started = System.nanoTime();
        cluster = new LocalBinariesCluster();
        cluster.start();
        System.out.printf("[context] %s ready in %.1f s%n", cluster.name(),
                Duration.ofNanos(System.nanoTime() - started).toMillis() / 1000.0);
        try {
            Path kubeconfig = Files.createDirectories(Path.of("target", "context-api-server").toAbsolutePath())
                    .resolve("kubeconfig.yaml");
            Files.writeString(kubeconfig, cluster.kubeConfigYaml());
            previousKubeconfig = System.setProperty(KUBECONFIG_PROPERTY, kubeconfig.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("safeguard.context.enabled", "true");
    }

    @Override
    public void stop() {
        if (cluster != null) {
            if (previousKubeconfig == null) {
                System.clearProperty(KUBECONFIG_PROPERTY);
            } else {
                System.setProperty(KUBECONFIG_PROPERTY, previousKubeconfig);
            }
            cluster.close();
        }
    }
}
