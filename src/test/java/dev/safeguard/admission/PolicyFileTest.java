package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The rollout workflow against the running webhook: audit mode, exemptions, reloads, and what metrics show. */
@QuarkusTest
@TestProfile(PolicyFileProfile.class)
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PolicyFileTest extends WebhookTestBase {

    @Test
    @Order(1)
    void auditModeAllowsAndReturnsWouldDeniesAsWarningsAndCountsThem() {
        String before = MetricsScrape.scrape();
        JsonNode response = post(Reviews.review("CREATE", Reviews.yaml(ValidateResourceTest.CARELESS), null, true));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        List<String> warnings = texts(response.path("warnings"));
        assertThat(warnings).anyMatch(w -> w.startsWith("[replicas-spread] (audit mode, would deny) "))
                .anyMatch(w -> w.startsWith("[image-tag] (audit mode, would deny) "))
                // turned off by the policy
                .noneMatch(w -> w.startsWith("[liveness-probe]"));
        String after = MetricsScrape.scrape();
        String[] labels = {"decision=\"would_deny\"", "dry_run=\"true\"", "kind=\"Deployment\"", "operation=\"CREATE\""};
        assertThat(MetricsScrape.value(after, "safeguard_admission_requests_total", labels))
                .isEqualTo(MetricsScrape.value(before, "safeguard_admission_requests_total", labels) + 1);
        String[] spread = {"rule=\"replicas-spread\"", "action=\"deny\"", "mode=\"audit\""};
        assertThat(MetricsScrape.value(after, "safeguard_rule_violations_total", spread))
                .isEqualTo(MetricsScrape.value(before, "safeguard_rule_violations_total", spread) + 1);
        String[] wouldDeny = {"rule=\"image-tag\"", "kind=\"Deployment\"", "namespace=\"shop\""};
        assertThat(MetricsScrape.value(after, "safeguard_admission_would_denials_total", wouldDeny))
                .isEqualTo(MetricsScrape.value(before, "safeguard_admission_would_denials_total", wouldDeny) + 1);
        assertThat(MetricsScrape.value(after, "safeguard_policy_info", "mode=\"audit\"")).isEqualTo(1);
        assertThat(after).contains("safeguard_admission_duration_seconds_bucket{le=\"5.0E-4\"}");
    }

    @Test
    @Order(2)
    void ruleThatFailsAtRuntimeIsSkippedWarnedAndCounted() {
        String before = MetricsScrape.scrape();
        JsonNode response = post(Reviews.create(ValidateResourceTest.COMPLIANT));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(texts(response.path("warnings")))
                .anyMatch(w -> w.startsWith("[strategy-declared] could not be evaluated and was skipped:"));
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_rule_errors_total", "rule=\"strategy-declared\""))
                .isEqualTo(MetricsScrape.value(before, "safeguard_rule_errors_total", "rule=\"strategy-declared\"") + 1);
    }

    @Test
    @Order(3)
    void excludedNamespaceIsNotEvaluated() {
        JsonNode response = post(Reviews.create(ValidateResourceTest.CARELESS.replace("namespace: shop", "namespace: sandbox")));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(texts(response.path("warnings"))).isEmpty();
    }

    @Test
    @Order(4)
    void badPolicyEditKeepsTheLastGoodPolicyServing() {
        String before = MetricsScrape.scrape();
        PolicyFileProfile.mount(PolicyFileProfile.AUDIT_POLICY.replace("mode: audit", "mode: sometimes"), 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> MetricsScrape.value(MetricsScrape.scrape(),
                "safeguard_policy_reloads_total", "result=\"failure\"")
                > MetricsScrape.value(before, "safeguard_policy_reloads_total", "result=\"failure\""));
        JsonNode response = post(Reviews.create(ValidateResourceTest.CARELESS));
        assertThat(response.path("allowed").asBoolean()).as("still audit mode").isTrue();
        management().get("/q/health/ready").then().statusCode(200);
        // The same bad content is reported once, not on every check (the interval here is 200 ms).
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_policy_reloads_total", "result=\"failure\""))
                .isEqualTo(MetricsScrape.value(before, "safeguard_policy_reloads_total", "result=\"failure\"") + 1);
    }

    @Test
    @Order(5)
    void goodPolicyEditIsPickedUpWithoutRestartAndEnforces() {
        PolicyFileProfile.mount(PolicyFileProfile.ENFORCE_POLICY, 3);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                MetricsScrape.value(MetricsScrape.scrape(), "safeguard_policy_info", "mode=\"enforce\"") == 1);
        String before = MetricsScrape.scrape();
        JsonNode response = post(Reviews.create(ValidateResourceTest.CARELESS));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText()).contains("[replicas-spread]");
        String after = MetricsScrape.scrape();
        String[] rejection = {"rule=\"replicas-spread\"", "kind=\"Deployment\"", "namespace=\"shop\""};
        assertThat(MetricsScrape.value(after, "safeguard_admission_rejections_total", rejection))
                .isEqualTo(MetricsScrape.value(before, "safeguard_admission_rejections_total", rejection) + 1);
        assertThat(MetricsScrape.value(after, "safeguard_policy_info", "mode=\"audit\"")).as("old version gone").isZero();
    }

    @Test
    @Order(6)
    void exemptionWithReasonIsHonouredAndCounted() {
        String exempted = ValidateResourceTest.CARELESS.replace("metadata: {name: shop-api, namespace: shop}", """
                metadata:
                  name: shop-api
                  namespace: shop
                  annotations:
                    safeguard.dev/exempt: "replicas-spread,readiness-probe,resource-requests,image-tag"
                    safeguard.dev/exempt-reason: "legacy app, migration tracked in PLAT-42"
                """.stripTrailing());
        String before = MetricsScrape.scrape();
        JsonNode response = post(Reviews.create(exempted));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(MetricsScrape.value(MetricsScrape.scrape(), "safeguard_exemptions_total", "rule=\"image-tag\""))
                .isEqualTo(MetricsScrape.value(before, "safeguard_exemptions_total", "rule=\"image-tag\"") + 1);

        JsonNode noReason = post(Reviews.create(exempted.replace("safeguard.dev/exempt-reason", "note")));
        assertThat(noReason.path("allowed").asBoolean()).isFalse();
        assertThat(texts(noReason.path("warnings")))
                .anyMatch(w -> w.contains("needs a non-empty safeguard.dev/exempt-reason"));
    }

    @Test
    @Order(7)
    void updateOnlyScalingALegacyDeploymentIsAdmitted() {
        String legacy = ValidateResourceTest.CARELESS;
        JsonNode scaled = post(Reviews.update(legacy.replace("replicas: 3", "replicas: 5"), legacy));
        assertThat(scaled.path("allowed").asBoolean()).isTrue();
        assertThat(texts(scaled.path("warnings")))
                .anyMatch(w -> w.startsWith("[replicas-spread] (already present before this update"));
        String imageLine = legacy.lines().filter(line -> line.contains("image: shop/api:latest")).findFirst().orElseThrow();
        String indent = imageLine.substring(0, imageLine.indexOf("image:"));
        String worse = legacy.replace(imageLine, imageLine + "\n" + indent + "securityContext: {privileged: true}");
        assertThat(worse).isNotEqualTo(legacy);
        JsonNode refused = post(Reviews.update(worse, legacy));
        assertThat(refused.path("allowed").asBoolean()).isFalse();
        assertThat(refused.path("status").path("message").asText()).contains("[privileged]")
                .doesNotContain("[replicas-spread]");
    }

    @Test
    @Order(8)
    void everyMetricTheDashboardAndAlertsUseIsExported() throws Exception {
        // By now the tests above have produced every series: decisions, rejections, would-denies, rule errors,
        // exemptions, reload successes and failures.
        String scrape = MetricsScrape.scrape();
        Set<String> exported = new TreeSet<>();
        Matcher sample = Pattern.compile("^(safeguard_[a-z_]+)[{ ]", Pattern.MULTILINE).matcher(scrape);
        while (sample.find()) {
            exported.add(sample.group(1));
        }
        // Series this webhook (no cluster here) cannot produce; the tests that produce them assert them:
        // inherited verdicts need owner lookups (ContextLookupsTest), safeguard_audit_* come from the audit pod
        // (BackgroundAuditTest); grants, ended exemptions and dated denies need a policy that has them
        // (GovernedRolloutTest).
        exported.add("safeguard_inherited_violations_total");
        exported.addAll(List.of("safeguard_exemption_grants_total", "safeguard_exemptions_expired_total",
                "safeguard_policy_scheduled_enforcement_timestamp_seconds"));
        for (Path asset : List.of(Path.of("deploy/grafana/kube-safeguard-dashboard.json"),
                Path.of("deploy/prometheus/alerts.yaml"))) {
            Set<String> used = new TreeSet<>();
            Matcher name = Pattern.compile("safeguard_[a-z_]+").matcher(Files.readString(asset));
            while (name.find()) {
                used.add(name.group());
            }
            assertThat(used).as("metrics named in %s", asset).isNotEmpty();
            used.removeIf(metric -> metric.startsWith("safeguard_audit_"));
            assertThat(exported).as("metrics exported by the service, against %s", asset).containsAll(used);
        }
    }
}
