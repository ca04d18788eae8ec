package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.safeguard.MovableClock;
import dev.safeguard.SampleManifests;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The background audit against a real API server (local kube-apiserver binaries; skipped, loudly, without them):
 * what already runs is judged from informers, each namespace gets one PolicyReport, and a change to an object
 * or to its context is reflected in its report without any re-list.
 */
@QuarkusTest
@EnabledIf(value = "apiServerAvailable", disabledReason = "kube-apiserver binaries not found (see the log)")
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = AuditClusterResource.class, restrictToAnnotatedClass = true)
class BackgroundAuditTest extends WebhookTestBase {

    @Inject
    KubernetesClient client;

    @Inject
    MovableClock clock;

    static boolean apiServerAvailable() {
        var reason = KubeApiServerResource.unavailable();
        reason.ifPresent(r -> System.err.printf("%n*** SKIPPED BackgroundAuditTest: %s%n%n", r));
        return reason.isEmpty();
    }

    @BeforeEach
    void awaitFirstScan() {
        await("the audit's first full scan reported").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> management().get("/q/health/ready").statusCode() == 200);
    }

    void namespace(String name) {
        namespace(name, Map.of());
    }

    void namespace(String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).serverSideApply();
    }

    /** The namespace's report once it satisfies {@code expected}. */
    GenericKubernetesResource awaitReport(String namespace, Predicate<GenericKubernetesResource> expected) {
        return await("the PolicyReport of " + namespace).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.genericKubernetesResources(AuditClusterResource.POLICY_REPORTS).inNamespace(namespace)
                        .withName("kube-safeguard").get(), report -> report != null && expected.test(report));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> results(GenericKubernetesResource report) {
        return (List<Map<String, Object>>) report.getAdditionalProperties().getOrDefault("results", List.of());
    }

    static boolean has(GenericKubernetesResource report, String rule, String name, String result) {
        return results(report).stream().anyMatch(r -> rule.equals(r.get("rule")) && result.equals(r.get("result"))
                && ((List<?>) r.get("resources")).stream().anyMatch(resource -> name.equals(((Map<?, ?>) resource).get("name"))));
    }

    static long summary(GenericKubernetesResource report, String result) {
        return ((Number) ((Map<?, ?>) report.getAdditionalProperties().get("summary")).get(result)).longValue();
    }

    static String paused(String deployment) {
        return deployment.replaceFirst("\nspec:\n", "\nspec:\n  paused: true\n");
    }

    @Test
    void aViolatingDeploymentIsReportedOnceInItsNamespaceAndItsFixIsReflected() {
        namespace("audit-fix");
        // Paused: the controllers running beside this API server create no ReplicaSet (with no kubelet, a rollout
        // of the fix would never finish, and the old ReplicaSet would rightly be reported as still running).
        client.resource(paused(SampleManifests.careless("audit-fix", "api"))).create();

        GenericKubernetesResource report = awaitReport("audit-fix", r -> has(r, "replicas-spread", "api", "fail"));

        assertThat(report.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "kube-safeguard");
        assertThat(results(report)).allSatisfy(result -> assertThat(result.get("source")).isEqualTo("kube-safeguard"));
        assertThat(summary(report, "fail")).isEqualTo(4); // SampleManifests.CARELESS_DENIED
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_audit_violations",
                "rule=\"replicas-spread\"", "namespace=\"audit-fix\"", "action=\"deny\"")).isEqualTo(1);

        // Fixed in place: the same object, now compliant, leaves no failure in the report.
        long started = System.nanoTime();
        client.resource(paused(SampleManifests.compliant("audit-fix", "api"))).update();
        GenericKubernetesResource fixed = awaitReport("audit-fix", r -> summary(r, "fail") == 0);
        System.out.printf("[audit] a fixed Deployment reflected in its report after %d ms%n",
                (System.nanoTime() - started) / 1_000_000);
        assertThat(results(fixed)).noneMatch(result -> "fail".equals(result.get("result")));
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_audit_violations",
                "rule=\"replicas-spread\"", "namespace=\"audit-fix\"")).isZero();
    }

    @Test
    void aChangeInContextReJudgesTheNamespaceAndAnExemptionIsASkip() {
        namespace("audit-context");
        client.resource(SampleManifests.compliant("audit-context", "web")).create();
        awaitReport("audit-context", r -> has(r, "pdb-for-replicas", "web", "warn"));

        // A budget that allows no disruption: nothing about the Deployment changed, its verdict does.
        client.resource("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web, namespace: audit-context}
                spec:
                  minAvailable: 3
                  selector: {matchLabels: {app: web}}
                """).create();
        GenericKubernetesResource report = awaitReport("audit-context", r -> has(r, "pdb-allows-disruption", "web", "fail"));
        assertThat(has(report, "pdb-for-replicas", "web", "warn")).isFalse();

        client.resource(SampleManifests.careless("audit-context", "legacy").replace("metadata: {name: legacy,",
                "metadata: {annotations: {safeguard.dev/exempt: image-tag, safeguard.dev/exempt-reason: pinned by PLAT-9}, "
                        + "name: legacy,")).create();
        GenericKubernetesResource exempted = awaitReport("audit-context", r -> has(r, "image-tag", "legacy", "skip"));
        assertThat(results(exempted)).filteredOn(r -> "image-tag".equals(r.get("rule")) && "skip".equals(r.get("result")))
                .extracting(r -> r.get("message")).containsExactly("exempt (safeguard.dev/exempt): pinned by PLAT-9");
    }

    @Test
    void onlyNamespacesWithJudgedObjectsHaveAReportAndTheAuditSaysItIsInSync() {
        namespace("audit-empty");
        namespace("audit-one");
        client.resource(SampleManifests.careless("audit-one", "api")).create();
        awaitReport("audit-one", r -> has(r, "image-tag", "api", "fail"));

        assertThat(client.genericKubernetesResources(AuditClusterResource.POLICY_REPORTS).inNamespace("audit-empty").list().getItems()).isEmpty();
        List<GenericKubernetesResource> all = client.genericKubernetesResources(AuditClusterResource.POLICY_REPORTS).inAnyNamespace().list().getItems();
        assertThat(all).allSatisfy(report -> assertThat(report.getMetadata().getName()).isEqualTo("kube-safeguard"));
        assertThat(all).extracting(report -> report.getMetadata().getNamespace()).doesNotHaveDuplicates();
        String metrics = MetricsScrape.scrape();
        assertThat(metrics).containsPattern("(?m)^safeguard_audit_last_full_sync_timestamp_seconds [1-9]");
        assertThat(metrics).containsPattern("(?m)^safeguard_audit_objects [1-9]");
        assertThat(metrics).containsPattern("(?m)^safeguard_audit_report_writes_total\\{result=\"success\"\\} [1-9]");
    }

    @Test
    void reportsAndAuditMetricsCarryTheTeamAndAnExemptionIsJudgedAgainWhenItEnds() {
        namespace("audit-team", Map.of("team", "payments"));
        client.resource(SampleManifests.careless("audit-team", "legacy").replace("metadata: {name: legacy,",
                "metadata: {annotations: {safeguard.dev/exempt: image-tag, safeguard.dev/exempt-reason: pinned by PLAT-9, "
                        + "safeguard.dev/exempt-until: '2027-01-10'}, name: legacy,")).create();
        GenericKubernetesResource report = awaitReport("audit-team", r -> has(r, "image-tag", "legacy", "skip"));
        assertThat(report.getMetadata().getLabels()).containsEntry("safeguard.dev/team", "payments");
        String metrics = MetricsScrape.scrape();
        assertThat(MetricsScrape.value(metrics, "safeguard_audit_violations", "rule=\"replicas-spread\"",
                "namespace=\"audit-team\"", "team=\"payments\"")).isEqualTo(1);
        assertThat(MetricsScrape.value(metrics, "safeguard_audit_exemptions", "rule=\"image-tag\"",
                "namespace=\"audit-team\"", "team=\"payments\"", "state=\"active\"")).isEqualTo(1);
        assertThat(MetricsScrape.value(metrics, "safeguard_audit_exemption_expiry_timestamp_seconds",
                "rule=\"image-tag\"", "namespace=\"audit-team\"", "team=\"payments\""))
                .isEqualTo(Instant.parse("2027-01-10T00:00:00Z").getEpochSecond());

        // Nothing in the cluster changes when an exemption ends: the audit judges the namespace again by itself.
        clock.set(Instant.parse("2027-01-10T00:00:01Z"));
        try {
            awaitReport("audit-team", r -> has(r, "image-tag", "legacy", "fail"));
            await("the ended exemption counted as expired").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> MetricsScrape.value(MetricsScrape.scrape(), "safeguard_audit_exemptions",
                            "rule=\"image-tag\"", "namespace=\"audit-team\"", "state=\"expired\"") == 1);
        } finally {
            clock.reset();
        }
    }
}
