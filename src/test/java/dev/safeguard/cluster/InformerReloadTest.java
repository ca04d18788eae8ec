package dev.safeguard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.safeguard.admission.KubeApiServerResource;
import dev.safeguard.admission.TestTls;
import dev.safeguard.e2e.LocalBinariesCluster;
import dev.safeguard.server.PolicyHolder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Informers follow the policy: a reload that switches the context rules on starts watching the kinds they read, one
 * that switches them off stops those informers and drops their caches (kinds owners need stay watched throughout).
 * With a real kube-apiserver; skipped without its binaries.
 */
@QuarkusTest
@EnabledIf(value = "apiServerAvailable", disabledReason = "kube-apiserver binaries not found (see the log)")
@TestProfile(InformerReloadTest.Profile.class)
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = KubeApiServerResource.class, restrictToAnnotatedClass = true)
class InformerReloadTest {

    static final Path FILE = Path.of("target", "informer-reload", "policy.yaml").toAbsolutePath();

    /** The kinds only the context rules read; the owner kinds (Deployment, ReplicaSet, ...) are watched anyway. */
    static final Set<String> CONTEXT_ONLY = Set.of("PodDisruptionBudget", "Service", "HorizontalPodAutoscaler");

    static final String CONTEXT_RULES_OFF = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: no-context}
            spec:
              rules:
                - {id: pdb-allows-disruption, action: "off"}
                - {id: pdb-for-replicas, action: "off"}
                - {id: unique-service-selector, action: "off"}
            """;

    static final String CONTEXT_RULES_ON = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: with-context}
            spec: {}
            """;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            write(CONTEXT_RULES_OFF);
            // the test reloads itself (the directory watch may still get there first)
            return Map.of("safeguard.policy.path", FILE.toString(), "safeguard.policy.check-interval", "1h");
        }
    }

    static void write(String policy) {
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, policy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean apiServerAvailable() {
        return new LocalBinariesCluster().unavailable().isEmpty();
    }

    @Inject
    InformerRelatedObjects context;

    @Inject
    PolicyHolder policies;

    @Test
    void informersStartAndStopAsTheContextKindsOfThePolicyChange() {
        assertThat(context.status().keySet()).contains("Deployment", "ReplicaSet", "DaemonSet")
                .doesNotContainAnyElementsOf(CONTEXT_ONLY);

        write(CONTEXT_RULES_ON);
        policies.reload(); // or the directory watch got there first: reloads are serialised, so it is done now
        assertThat(policies.current().name()).isEqualTo("with-context");
        assertThat(context.status().keySet()).containsAll(CONTEXT_ONLY);
        await("the new informers to sync").atMost(Duration.ofSeconds(30)).until(context::allSynced);
        assertThat(context.indexed("Service", "default")).as("what a synced informer serves").isNotNull();

        write(CONTEXT_RULES_OFF.replace("no-context", "no-context-again"));
        policies.reload();
        assertThat(policies.current().name()).isEqualTo("no-context-again");
        assertThat(context.status().keySet()).contains("Deployment", "ReplicaSet")
                .doesNotContainAnyElementsOf(CONTEXT_ONLY);
        assertThat(context.list("PodDisruptionBudget", "default")).as("a stopped kind's cache is gone").isEmpty();
    }
}
