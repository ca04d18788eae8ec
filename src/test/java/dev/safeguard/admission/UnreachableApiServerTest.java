package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.SampleManifests;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Context lookups on, but the API server cannot be reached (nothing listens where the kubeconfig points):
 * the webhook still answers every review, without context, and is not ready, so the API server is not
 * answered from an empty cache by a pod it routes to.
 */
@QuarkusTest
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = UnreachableApiServerTest.NowhereKubeconfig.class, restrictToAnnotatedClass = true)
class UnreachableApiServerTest extends WebhookTestBase {

    /** A kubeconfig for a port nothing listens on, through fabric8's {@code kubeconfig} system property. */
    public static class NowhereKubeconfig implements QuarkusTestResourceLifecycleManager {

        private String previous;

        @Override
        public Map<String, String> start() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = socket.getLocalPort();
                Path file = Files.createDirectories(Path.of("target", "context-unreachable").toAbsolutePath())
                        .resolve("kubeconfig.yaml");
                Files.writeString(file, """
                        apiVersion: v1
                        kind: Config
                        clusters:
                          - name: nowhere
                            cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}
                        users:
                          - name: nobody
                            user: {token: not-a-token}
                        contexts:
                          - name: nowhere
                            context: {cluster: nowhere, user: nobody}
                        current-context: nowhere
                        """.formatted(port));
                previous = System.setProperty("kubeconfig", file.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("safeguard.context.enabled", "true");
        }

        @Override
        public void stop() {
            if (previous == null) {
                System.clearProperty("kubeconfig");
            } else {
                System.setProperty("kubeconfig", previous);
            }
        }
    }

    @Test
    void notReadyWhileTheCachesCannotSync() {
        String health = management().get("/q/health/ready").then().statusCode(503).extract().asString();
        assertThat(health).contains("\"context\"").contains("syncing");
    }

    @Test
    void everyReviewIsStillAnsweredWithoutContext() {
        JsonNode compliant = post(Reviews.create(SampleManifests.compliant("shop", "web")));
        assertThat(compliant.path("allowed").asBoolean()).isTrue();
        // No cache, no guess: without context the rule does not claim there is no budget.
        assertThat(texts(compliant.path("warnings"))).noneMatch(w -> w.startsWith("[pdb-for-replicas]"));

        JsonNode careless = post(Reviews.create(SampleManifests.careless("shop", "shop-api")));
        assertThat(careless.path("allowed").asBoolean()).isFalse();
        assertThat(careless.path("status").path("message").asText()).contains("[image-tag]");
    }
}
