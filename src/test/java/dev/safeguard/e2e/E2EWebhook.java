package dev.safeguard.e2e;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prepares what the packaged webhook needs before {@code @QuarkusIntegrationTest} launches it: a test CA
 * and a serving certificate it signed (the CA becomes the caBundle the API server trusts), a policy file
 * the tests rewrite to switch modes (hot-reloaded by the service), and free ports. The returned
 * properties are passed to the launched jar as system properties; the tests get a {@link Webhook} handle
 * in fields annotated {@link InjectWebhook}.
 */
public class E2EWebhook implements QuarkusTestResourceLifecycleManager {

    /** The hostname a container-based cluster uses to reach the test machine (Testcontainers' host port forwarding). */
    static final String CONTAINER_HOST_ALIAS = "host.testcontainers.internal";

    /** The kubeconfig of the cluster of the test class about to run, written by {@link ClusterExtension}. */
    static final Path KUBECONFIG = Path.of("target", "e2e-webhook", "kubeconfig.yaml").toAbsolutePath();

    private Webhook webhook;

    static void writeKubeconfig(String yaml) {
        try {
            Files.createDirectories(KUBECONFIG.getParent());
            Files.writeString(KUBECONFIG, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        if (!Files.isRegularFile(KUBECONFIG)) {
            throw new IllegalStateException("no kubeconfig at " + KUBECONFIG + ": the cluster was not started first");
        }
        try {
            Path directory = Files.createDirectories(Path.of("target", "e2e-webhook").toAbsolutePath());
            Path tls = Files.createDirectories(directory.resolve("tls"));
            TestCa ca = new TestCa("kube-safeguard e2e test CA");
            Path[] serving = ca.issueServing(tls, "webhook", List.of("localhost", CONTAINER_HOST_ALIAS), List.of("127.0.0.1"));

            Path policyDirectory = Files.createDirectories(directory.resolve("policy"));
            webhook = new Webhook(ca.pem(), E2EPorts.webhook(), E2EPorts.management(),
                    policyDirectory.resolve("policy.yaml"));
            webhook.writePolicy(Webhook.Mode.ENFORCE);
            return Map.of(
                    // Context lookups against the cluster under test: informers through fabric8's kubeconfig property.
                    "safeguard.context.enabled", "true",
                    "kubeconfig", KUBECONFIG.toString(),
                    "safeguard.tls.cert", serving[0].toString(),
                    "safeguard.tls.key", serving[1].toString(),
                    // Later than the launcher's own -Dquarkus.http.ssl-port on the command line, so these win.
                    "quarkus.http.ssl-port", String.valueOf(webhook.port()),
                    "quarkus.management.port", String.valueOf(webhook.managementPort()),
                    "safeguard.policy.path", webhook.policyFile().toString(),
                    "safeguard.policy.check-interval", "250ms");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate the e2e test certificates", e);
        }
    }

    /**
     * Last of the sequentially started resources, so that these properties win over those of global
     * resources: dev.safeguard.admission.TestTls is a @QuarkusTestResource without restrictToAnnotatedClass,
     * so it applies to every test, this one included, and sets safeguard.tls.cert/key to its own certificate.
     */
    @Override
    public int order() {
        return Integer.MAX_VALUE;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(webhook, new TestInjector.AnnotatedAndMatchesType(InjectWebhook.class, Webhook.class));
    }

    @Override
    public void stop() {
    }
}
