package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Grafana dashboard and the Prometheus alerts under deploy/: the chart's copies are identical (Helm cannot
 * read outside the chart), they use only metrics the service exports, and they cover what an operator watches.
 */
class MonitoringAssetsTest {

    static final Path DASHBOARD = Path.of("deploy/grafana/kube-safeguard-dashboard.json");
    static final Path ALERTS = Path.of("deploy/prometheus/alerts.yaml");

    /** The series the service exports (see SafeguardMetrics), plus Prometheus' own `up`. */
    static final Set<String> EXPORTED = Set.of(
            "safeguard_admission_requests_total", "safeguard_admission_rejections_total",
            "safeguard_rule_violations_total", "safeguard_admission_duration_seconds_bucket",
            "safeguard_admission_duration_seconds_sum", "safeguard_admission_duration_seconds_count",
            "safeguard_rule_errors_total", "safeguard_exemptions_total", "safeguard_policy_reloads_total",
            "safeguard_policy_info", "safeguard_inherited_violations_total",
            "safeguard_admission_internal_errors_total", "safeguard_admission_input_limit_exceeded_total",
            "safeguard_admission_in_flight", "safeguard_tls_reloads_total", "safeguard_tls_cert_expiry_seconds");

    @ParameterizedTest(name = "{1} is a byte-identical copy of {0}")
    @CsvSource({
            "deploy/grafana/kube-safeguard-dashboard.json, helm/kube-safeguard/files/kube-safeguard-dashboard.json",
            "deploy/prometheus/alerts.yaml, helm/kube-safeguard/files/alerts.yaml"})
    void chartCopiesAreIdentical(String original, String copy) throws Exception {
        assertThat(Files.mismatch(Path.of(original), Path.of(copy)))
                .as("%s differs from %s: cp %s %s", copy, original, original, copy)
                .isEqualTo(-1L);
    }

    @Test
    void dashboardAndAlertsUseOnlyExportedMetrics() throws Exception {
        for (Path asset : List.of(DASHBOARD, ALERTS)) {
            Set<String> used = metricNames(Files.readString(asset));
            assertThat(used).as("metrics in %s", asset).isNotEmpty();
            assertThat(EXPORTED).as("metrics the service exports, against %s", asset).containsAll(used);
        }
    }

    @Test
    void dashboardHasThePanelsAnOperatorNeeds() throws Exception {
        JsonNode dashboard = Chart.JSON.readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("kube-safeguard");
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panels::add);
        List<String> expressions = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels) {
            assertThat(ids.add(panel.path("id").asInt())).as("unique panel id %s", panel.path("id")).isTrue();
            for (JsonNode target : panel.path("targets")) {
                expressions.add(target.path("expr").asText());
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            }
        }
        assertThat(expressions).as("rejections by rule and namespace")
                .anyMatch(e -> e.contains("safeguard_admission_rejections_total") && e.contains("by (rule, namespace)"));
        assertThat(expressions).as("would-denies in audit mode")
                .anyMatch(e -> e.contains("decision=\"would_deny\""))
                .anyMatch(e -> e.contains("safeguard_rule_violations_total{action=\"deny\",mode=\"audit\"}"));
        assertThat(expressions).as("request rate by decision")
                .anyMatch(e -> e.contains("sum by (decision) (rate(safeguard_admission_requests_total"));
        for (String quantile : List.of("0.50", "0.95", "0.99")) {
            assertThat(expressions).as("latency p%s", quantile).anyMatch(e -> e.contains("histogram_quantile(" + quantile)
                    && e.contains("safeguard_admission_duration_seconds_bucket"));
        }
        assertThat(expressions).as("rule errors").anyMatch(e -> e.contains("safeguard_rule_errors_total"));
        assertThat(expressions).as("policy reloads by result")
                .anyMatch(e -> e.contains("by (result)") && e.contains("safeguard_policy_reloads_total"));
        assertThat(expressions).as("current policy version and mode")
                .anyMatch(e -> e.contains("by (mode, version)") && e.contains("safeguard_policy_info"));
        assertNoOverlap(panels);
    }

    private static void assertNoOverlap(List<JsonNode> panels) {
        for (int i = 0; i < panels.size(); i++) {
            for (int j = i + 1; j < panels.size(); j++) {
                JsonNode a = panels.get(i).path("gridPos");
                JsonNode b = panels.get(j).path("gridPos");
                boolean overlap = a.path("x").asInt() < b.path("x").asInt() + b.path("w").asInt()
                        && b.path("x").asInt() < a.path("x").asInt() + a.path("w").asInt()
                        && a.path("y").asInt() < b.path("y").asInt() + b.path("h").asInt()
                        && b.path("y").asInt() < a.path("y").asInt() + a.path("h").asInt();
                assertThat(overlap).as("panels '%s' and '%s' overlap", panels.get(i).path("title").asText(),
                        panels.get(j).path("title").asText()).isFalse();
            }
        }
    }

    @Test
    void alertsCoverWhatPagesAnOperator() throws Exception {
        JsonNode rule = Chart.YAML.readTree(ALERTS.toFile());
        assertThat(rule.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        Set<String> names = new TreeSet<>();
        List<String> expressions = new ArrayList<>();
        for (JsonNode group : rule.path("spec").path("groups")) {
            for (JsonNode alert : group.path("rules")) {
                String name = alert.path("alert").asText();
                names.add(name);
                expressions.add(alert.path("expr").asText());
                assertThat(alert.path("labels").path("severity").asText()).as(name).isIn("critical", "warning", "info");
                assertThat(alert.path("annotations").path("summary").asText()).as(name).isNotBlank();
                assertThat(alert.path("annotations").path("description").asText()).as(name).isNotBlank();
            }
        }
        assertThat(names).contains("KubeSafeguardDown", "KubeSafeguardErrorRate", "KubeSafeguardRuleErrors",
                "KubeSafeguardLatencyNearTimeout", "KubeSafeguardRejectionSpike", "KubeSafeguardPolicyReloadFailed");
        assertThat(expressions).as("webhook down via up").anyMatch(e -> e.contains("up{job=\"kube-safeguard\"}"));
        assertThat(expressions).as("p99 near the 5 s timeout")
                .anyMatch(e -> e.contains("histogram_quantile(0.99") && e.strip().endsWith("> 4"));
        assertThat(expressions).as("reload failures")
                .anyMatch(e -> e.contains("safeguard_policy_reloads_total{result=\"failure\"}"));
        assertThat(names).contains("KubeSafeguardCertificateRejected", "KubeSafeguardCertificateExpiresSoon",
                "KubeSafeguardReviewsUndecided");
        assertThat(expressions).as("certificate expiry")
                .anyMatch(e -> e.contains("safeguard_tls_cert_expiry_seconds"))
                .anyMatch(e -> e.contains("safeguard_tls_reloads_total{result=\"rejected\"}"))
                .anyMatch(e -> e.contains("safeguard_admission_internal_errors_total"));
    }

    static Set<String> metricNames(String text) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = Pattern.compile("\\bsafeguard_[a-z_]+").matcher(text);
        while (matcher.find()) {
            names.add(matcher.group());
        }
        return names;
    }
}
