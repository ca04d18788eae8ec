package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.MovableClock;
import dev.safeguard.SampleManifests;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Governed rollout through the webhook: a dated deny flips at its date, an exemption stops counting at its end, only
 * a grantor may exempt, two namespaces' policies answer the same Deployment differently, and the metrics carry the
 * team. Time moves by {@link MovableClock}, never by sleeping. Without an API server the namespace's labels are only
 * its name label (kubernetes.io/metadata.name), which the policy here selects and routes by.
 */
@QuarkusTest
@TestProfile(GovernedRolloutTest.Profile.class)
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
class GovernedRolloutTest extends WebhookTestBase {

    static final Instant JAN_3 = Instant.parse("2027-01-03T00:00:00Z");
    static final Instant JAN_15 = Instant.parse("2027-01-15T00:00:00Z");

    public static class Profile implements QuarkusTestProfile {
        static final Path FILE = Path.of("target", "governed-rollout-policy.yaml").toAbsolutePath();

        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(FILE.getParent());
                Files.writeString(FILE, """
                        apiVersion: safeguard.dev/v1alpha1
                        kind: SafeguardPolicy
                        metadata: {name: rollout}
                        spec:
                          mode: enforce
                          teamLabel: kubernetes.io/metadata.name
                          rules:
                            - {id: image-tag, action: deny, enforceFrom: "2027-01-15"}
                          exemptions:
                            maxDays: 90
                            grantors: {groups: [platform-admins]}
                          namespaces:
                            - name: team-a
                              selector: {matchLabels: {kubernetes.io/metadata.name: team-a}}
                              rules: [{id: image-tag, action: deny}]
                            - name: team-b
                              selector: {matchLabels: {kubernetes.io/metadata.name: team-b}}
                              mode: audit
                        """);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("safeguard.policy.path", FILE.toString());
        }
    }

    @Inject
    MovableClock clock;

    @AfterEach
    void realTime() {
        clock.reset();
    }

    static final Map<String, String> EXEMPT_UNTIL_JAN_10 = Map.of("safeguard.dev/exempt", "image-tag",
            "safeguard.dev/exempt-reason", "INC-42 pinned by the vendor", "safeguard.dev/exempt-until", "2027-01-10");

    /** A CREATE by {@code username} in {@code groups}. */
    static String createAs(String manifest, String username, String... groups) {
        ObjectNode review = (ObjectNode) Reviews.yaml(Reviews.create(manifest));
        ObjectNode userInfo = (ObjectNode) review.path("request").path("userInfo");
        userInfo.put("username", username);
        userInfo.putArray("groups").addAll(List.of(groups).stream().map(Reviews.JSON.getNodeFactory()::textNode).toList());
        return review.toString();
    }

    @Test
    void aDatedDenyIsAWarningNamingItsDateUntilItAndADenialFromIt() {
        clock.set(JAN_3);
        JsonNode before = post(Reviews.create(SampleManifests.onlyImageTagDenied("shop", Map.of())));
        assertThat(before.path("allowed").asBoolean()).isTrue();
        assertThat(texts(before.path("warnings"))).anyMatch(warning -> warning.startsWith(
                "[image-tag] (would deny; denied from 2027-01-15, in 12 days) no version tag"));

        clock.set(JAN_15);
        JsonNode from = post(Reviews.create(SampleManifests.onlyImageTagDenied("shop", Map.of())));
        assertThat(from.path("allowed").asBoolean()).isFalse();
        assertThat(from.path("status").path("message").asText()).contains("[image-tag] no version tag");
    }

    @Test
    void twoNamespacesWithDifferentPoliciesAnswerTheSameDeploymentDifferently() {
        clock.set(JAN_3);
        JsonNode teamA = post(Reviews.create(SampleManifests.onlyImageTagDenied("team-a", Map.of())));
        assertThat(teamA.path("allowed").asBoolean()).isFalse();

        JsonNode teamB = post(Reviews.create(SampleManifests.onlyImageTagDenied("team-b", Map.of())));
        assertThat(teamB.path("allowed").asBoolean()).isTrue();
        assertThat(texts(teamB.path("warnings"))).anyMatch(warning -> warning.startsWith(
                "[image-tag] (audit mode, would deny) no version tag"));
    }

    @Test
    void anExemptionCountsUntilItsEndAndTheDenialSaysItExpired() {
        String exempted = createAs(SampleManifests.onlyImageTagDenied("team-a", EXEMPT_UNTIL_JAN_10), "carol@example.com", "platform-admins");
        clock.set(JAN_3);
        assertThat(post(exempted).path("allowed").asBoolean()).isTrue();

        double expiredBefore = MetricsScrape.value(MetricsScrape.scrape(), "safeguard_exemptions_expired_total",
                "rule=\"image-tag\"", "team=\"team-a\"");
        clock.set(Instant.parse("2027-01-10T00:00:00Z"));
        JsonNode expired = post(exempted);
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_exemptions_expired_total",
                "rule=\"image-tag\"", "team=\"team-a\"")).isEqualTo(expiredBefore + 1);
        assertThat(expired.path("allowed").asBoolean()).isFalse();
        assertThat(expired.path("status").path("message").asText())
                .contains("[image-tag] no version tag")
                .contains("[safeguard.dev/exempt-until] expired on 2027-01-10: the exemption from image-tag no longer "
                        + "applies");
    }

    @Test
    void onlyAGrantorMayExemptAndTheRefusalSaysWhoMay() {
        clock.set(JAN_3);
        double refusedBefore = MetricsScrape.value(MetricsScrape.scrape(), "safeguard_exemption_grants_total",
                "outcome=\"refused\"", "team=\"team-a\"");
        JsonNode bob = post(createAs(SampleManifests.onlyImageTagDenied("team-a", EXEMPT_UNTIL_JAN_10), "bob@example.com", "developers"));
        assertThat(bob.path("allowed").asBoolean()).isFalse();
        assertThat(bob.path("status").path("message").asText()).contains("[exemption-grant] 'bob@example.com' may not "
                + "grant exemptions (safeguard.dev/exempt, safeguard.dev/exempt-reason, safeguard.dev/exempt-until): "
                + "only groups [platform-admins] may");

        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(String.format(record.getMessage(), record.getParameters() == null ? new Object[0]
                        : record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger handlerLog = Logger.getLogger(AdmissionHandler.class.getName());
        handlerLog.addHandler(capture);
        try {
            JsonNode carol = post(createAs(SampleManifests.onlyImageTagDenied("team-a", EXEMPT_UNTIL_JAN_10), "carol@example.com",
                    "platform-admins"));
            assertThat(carol.path("allowed").asBoolean()).isTrue();
            // Logged once the answer went out, on the review's worker.
            await("the grant logged with the requesting user").atMost(Duration.ofSeconds(5))
                    .until(() -> logged.stream().anyMatch(line -> line.startsWith("EXEMPTION GRANTED CREATE "
                            + "Deployment team-a/web by carol@example.com: {safeguard.dev/exempt=image-tag")));
        } finally {
            handlerLog.removeHandler(capture);
        }

        String metrics = MetricsScrape.scrape();
        assertThat(MetricsScrape.value(metrics, "safeguard_exemption_grants_total", "outcome=\"refused\"",
                "team=\"team-a\"")).isEqualTo(refusedBefore + 1);
        assertThat(MetricsScrape.value(metrics, "safeguard_exemption_grants_total", "outcome=\"granted\"",
                "team=\"team-a\"")).isPositive();
    }

    @Test
    void metricsCarryTheTeamAndTheScheduledEnforcement() {
        clock.set(JAN_3);
        post(Reviews.create(SampleManifests.onlyImageTagDenied("team-a", Map.of())));
        post(Reviews.create(SampleManifests.onlyImageTagDenied("team-b", Map.of())));
        String metrics = MetricsScrape.scrape();
        assertThat(MetricsScrape.value(metrics, "safeguard_admission_rejections_total", "rule=\"image-tag\"",
                "team=\"team-a\"")).isPositive();
        assertThat(MetricsScrape.value(metrics, "safeguard_admission_would_denials_total", "rule=\"image-tag\"",
                "team=\"team-b\"")).isPositive();
        assertThat(MetricsScrape.value(metrics, "safeguard_rule_violations_total", "rule=\"image-tag\"",
                "team=\"team-b\"")).isPositive();
        assertThat(MetricsScrape.value(metrics, "safeguard_policy_scheduled_enforcement_timestamp_seconds",
                "rule=\"image-tag\"", "scope=\"cluster\"")).isEqualTo(JAN_15.getEpochSecond());
    }
}
