package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
            // audit-mode would-denies per rule and namespace (the webhook)
            "safeguard_admission_would_denials_total",
            // the background audit
            "safeguard_audit_violations", "safeguard_audit_objects",
            "safeguard_audit_scan_duration_seconds_count", "safeguard_audit_scan_duration_seconds_sum",
            "safeguard_audit_scan_duration_seconds_max",
            "safeguard_audit_update_duration_seconds_count", "safeguard_audit_update_duration_seconds_sum",
            "safeguard_audit_update_duration_seconds_max",
            "safeguard_audit_last_full_sync_timestamp_seconds", "safeguard_audit_report_writes_total",
            // the review path and TLS
            "safeguard_admission_internal_errors_total", "safeguard_admission_input_limit_exceeded_total",
            "safeguard_admission_in_flight", "safeguard_tls_reloads_total", "safeguard_tls_cert_expiry_seconds",
            // governed rollout (issue #13): dated enforcement, exemptions that end, who may grant them
            "safeguard_exemptions_expired_total", "safeguard_exemption_grants_total",
            "safeguard_policy_scheduled_enforcement_timestamp_seconds",
            "safeguard_audit_exemptions", "safeguard_audit_exemption_expiry_timestamp_seconds");

    /** The scrape jobs the chart's ServiceMonitor makes: the webhook's Service and the audit's (their name label). */
    static final Set<String> JOBS = Set.of("kube-safeguard", "kube-safeguard-audit");

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
    void dashboardAndAlertsSelectOnlyJobsTheServiceMonitorMakes() throws Exception {
        for (Path asset : List.of(DASHBOARD, ALERTS)) {
            Set<String> jobs = new TreeSet<>();
            Matcher matcher = Pattern.compile("job=~?\\\\?\"([^\"\\\\]*)").matcher(Files.readString(asset));
            while (matcher.find()) {
                jobs.add(matcher.group(1));
            }
            assertThat(jobs).as("jobs in %s", asset).isNotEmpty();
            assertThat(JOBS).as("jobs the ServiceMonitor makes, against %s", asset).containsAll(jobs);
        }
        // And the chart makes exactly those: each Service's app.kubernetes.io/name is its job.
        Chart.Render render = Chart.render("metrics.serviceMonitor.enabled", "true");
        String jobLabel = render.one("ServiceMonitor").path("spec").path("jobLabel").asText();
        Set<String> made = new TreeSet<>();
        render.all("Service").forEach(service -> made.add(service.path("metadata").path("labels").path(jobLabel).asText()));
        assertThat(made).isEqualTo(JOBS);
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
                .anyMatch(e -> e.contains("safeguard_rule_violations_total{action=\"deny\",mode=\"audit\",team=~\"$team\"}"));
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

    @Test
    void dashboardHasABackgroundAuditRow() throws Exception {
        JsonNode dashboard = Chart.JSON.readTree(DASHBOARD.toFile());
        List<String> rows = new ArrayList<>();
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                rows.add(panel.path("title").asText());
            }
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        assertThat(rows).contains("Background audit", "Enforcement readiness");
        assertThat(expressions).as("standing violations by rule and namespace, in the selected namespaces and teams")
                .anyMatch(e -> e.contains("sum by (rule, namespace) (safeguard_audit_violations{namespace=~\"$namespace\",team=~\"$team\"})"));
        assertThat(expressions).as("the audit is up").anyMatch(e -> e.contains("up{job=\"kube-safeguard-audit\"}"));
        assertThat(expressions).as("when the last full scan ended (Unix seconds, shown from now)")
                .anyMatch(e -> e.equals("max(safeguard_audit_last_full_sync_timestamp_seconds > 0) * 1000"));
        assertThat(expressions).as("report write failures")
                .anyMatch(e -> e.contains("safeguard_audit_report_writes_total{result=\"failure\"}"));
        assertThat(expressions).as("objects judged").anyMatch(e -> e.contains("safeguard_audit_objects"));
        assertThat(expressions).as("update latency").anyMatch(e -> e.contains("safeguard_audit_update_duration_seconds_sum"));
        assertThat(expressions).as("scan duration").anyMatch(e -> e.contains("safeguard_audit_scan_duration_seconds_sum"));

        // The namespace variable offers the namespaces of the audit and of the would-denies, not only of rejections.
        JsonNode namespace = null;
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("name").asText().equals("namespace")) {
                namespace = variable;
            }
        }
        assertThat(namespace).isNotNull();
        assertThat(namespace.path("query").path("query").asText())
                .contains("safeguard_audit_violations", "safeguard_admission_would_denials_total",
                        "safeguard_admission_rejections_total");
    }

    /**
     * Enforcement readiness: per rule (and per rule and namespace), standing deny-level violations and the
     * would-denies of the last 24 h side by side, a rule being ready when both are zero.
     */
    @ParameterizedTest(name = "readiness by ({0})")
    @CsvSource(delimiter = '|', textBlock = """
            rule
            rule, namespace
            """)
    void dashboardShowsEnforcementReadiness(String by) throws Exception {
        JsonNode dashboard = Chart.JSON.readTree(DASHBOARD.toFile());
        String standing = "sum by (" + by + ") (safeguard_audit_violations{action=\"deny\",namespace=~\"$namespace\",team=~\"$team\"})";
        String wouldDeny = "sum by (" + by + ") (increase(safeguard_admission_would_denials_total{namespace=~\"$namespace\",team=~\"$team\"}[24h]))";
        JsonNode table = null;
        for (JsonNode panel : dashboard.path("panels")) {
            List<String> expressions = new ArrayList<>();
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
            if (panel.path("type").asText().equals("table") && expressions.stream().anyMatch(e -> e.startsWith(standing))) {
                table = panel;
            }
        }
        assertThat(table).as("a table of %s", standing).isNotNull();
        List<String> expressions = new ArrayList<>();
        for (JsonNode target : table.path("targets")) {
            expressions.add(target.path("expr").asText());
            assertThat(target.path("instant").asBoolean()).isTrue();
            assertThat(target.path("format").asText()).isEqualTo("table");
        }
        // Side by side: each query falls back to 0 for the rows only the other has, so no cell is empty.
        assertThat(expressions).hasSize(3);
        assertThat(expressions.get(0)).isEqualTo(standing + "\n  or 0 * " + wouldDeny);
        assertThat(expressions.get(1)).isEqualTo(wouldDeny + "\n  or 0 * " + standing);
        assertThat(expressions.get(2)).contains(standing, wouldDeny).endsWith(") == bool 0");
        assertThat(table.path("description").asText()).contains("ready to enforce").contains("both counts are zero");
        assertThat(table.toString()).contains("\"merge\"", "Standing violations (deny)", "Would-denies (24 h)",
                "Ready to enforce");
    }

    /** The metrics that carry the team label (the value of the namespace label the policy's teamLabel names). */
    static final Set<String> TEAM_LABELLED = Set.of("safeguard_admission_rejections_total",
            "safeguard_admission_would_denials_total", "safeguard_rule_violations_total", "safeguard_exemptions_total",
            "safeguard_exemptions_expired_total", "safeguard_exemption_grants_total", "safeguard_audit_violations",
            "safeguard_audit_exemptions", "safeguard_audit_exemption_expiry_timestamp_seconds");

    @Test
    void everyPanelOfATeamLabelledMetricFollowsTheTeamVariable() throws Exception {
        JsonNode dashboard = Chart.JSON.readTree(DASHBOARD.toFile());
        JsonNode team = null;
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("name").asText().equals("team")) {
                team = variable;
            }
        }
        assertThat(team).as("a team variable").isNotNull();
        assertThat(team.path("query").path("query").asText()).startsWith("label_values(").endsWith(", team)")
                .contains("safeguard_audit_violations", "safeguard_admission_would_denials_total");
        assertThat(team.path("includeAll").asBoolean()).isTrue();
        assertThat(team.path("allValue").asText()).as("All also matches series without a team").isEqualTo(".*");

        List<String> unfiltered = new ArrayList<>();
        int filtered = 0;
        Pattern selector = Pattern.compile("\\b(safeguard_[a-z_]+)(\\{[^}]*\\})?");
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher matcher = selector.matcher(target.path("expr").asText());
                while (matcher.find()) {
                    if (!TEAM_LABELLED.contains(matcher.group(1))) {
                        continue;
                    }
                    if (matcher.group(2) != null && matcher.group(2).contains("team=~\"$team\"")) {
                        filtered++;
                    } else {
                        unfiltered.add(panel.path("title").asText() + ": " + matcher.group());
                    }
                }
            }
        }
        assertThat(unfiltered).as("team-labelled metrics not filtered by $team").isEmpty();
        assertThat(filtered).isGreaterThan(20);
    }

    @Test
    void dashboardShowsScheduledEnforcementsAndExemptionsEndingInDays() throws Exception {
        JsonNode dashboard = Chart.JSON.readTree(DASHBOARD.toFile());
        Map<String, List<String>> tables = new TreeMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("table")) {
                List<String> expressions = new ArrayList<>();
                panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
                tables.put(panel.path("title").asText(), expressions);
            }
        }
        assertThat(tables.get("Scheduled enforcements")).as("the date and the days until it, per rule and scope")
                .containsExactly(
                        "min by (rule, scope) (safeguard_policy_scheduled_enforcement_timestamp_seconds) * 1000",
                        "(min by (rule, scope) (safeguard_policy_scheduled_enforcement_timestamp_seconds) - time()) / 86400");
        assertThat(tables.get("Exemptions ending")).as("the end and the days left, per team, namespace and rule")
                .hasSize(2)
                .allMatch(e -> e.contains("min by (team, namespace, rule) (safeguard_audit_exemption_expiry_timestamp_seconds{"))
                .anyMatch(e -> e.endsWith(" - time()) / 86400"));
        assertThat(tables.get("Standing violations of rules with a scheduled enforcement")).singleElement()
                .satisfies(e -> assertThat(e).contains("safeguard_audit_violations{action=\"deny\"", "and on (rule, scope)",
                        "safeguard_policy_scheduled_enforcement_timestamp_seconds - time() > 0"));
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

    @Test
    void alertsCoverTheBackgroundAuditInItsOwnGroup() throws Exception {
        JsonNode rule = Chart.YAML.readTree(ALERTS.toFile());
        JsonNode auditGroup = null;
        for (JsonNode group : rule.path("spec").path("groups")) {
            boolean isAudit = group.path("name").asText().equals("kube-safeguard-audit");
            for (JsonNode alert : group.path("rules")) {
                // The chart leaves the audit's group out without the audit: no audit alert may live elsewhere.
                assertThat(alert.path("expr").asText().contains("safeguard_audit_")
                        || alert.path("expr").asText().contains("kube-safeguard-audit"))
                        .as("%s in group %s", alert.path("alert").asText(), group.path("name").asText()).isEqualTo(isAudit);
            }
            if (isAudit) {
                auditGroup = group;
            }
        }
        assertThat(auditGroup).isNotNull();
        Map<String, String> alerts = new TreeMap<>();
        auditGroup.path("rules").forEach(a -> alerts.put(a.path("alert").asText(), a.path("expr").asText()));
        // No alert on the age of the last full scan: the audit scans in full only at start and after a policy
        // change, then follows changes; an old full scan is the normal state.
        assertThat(alerts).containsOnlyKeys("KubeSafeguardAuditDown", "KubeSafeguardAuditNotSynced",
                "KubeSafeguardAuditReportWritesFailing", "KubeSafeguardEnforcementStartsSoon",
                "KubeSafeguardExemptionExpiringSoon");
        assertThat(alerts.get("KubeSafeguardAuditDown")).isEqualTo("absent(up{job=\"kube-safeguard-audit\"} == 1)");
        assertThat(alerts.get("KubeSafeguardAuditNotSynced")).contains("up{job=\"kube-safeguard-audit\"}")
                .contains("unless").contains("safeguard_audit_last_full_sync_timestamp_seconds > 0");
        assertThat(alerts.get("KubeSafeguardAuditReportWritesFailing"))
                .contains("safeguard_audit_report_writes_total{result=\"failure\"}");
    }

    /**
     * The governed rollout warns a team ahead of time: a dated enforcement that starts within 7 days where objects
     * still violate the rule, and an exemption that ends within 7 days. Both carry the team label, so Alertmanager
     * can route them to the team, and the namespace and rule, so the team knows what to fix.
     */
    @Test
    void rolloutAlertsWarnTheTeamAWeekAhead() throws Exception {
        JsonNode rule = Chart.YAML.readTree(ALERTS.toFile());
        Map<String, JsonNode> alerts = new TreeMap<>();
        for (JsonNode group : rule.path("spec").path("groups")) {
            group.path("rules").forEach(a -> alerts.put(a.path("alert").asText(), a));
        }
        JsonNode expiring = alerts.get("KubeSafeguardExemptionExpiringSoon");
        assertThat(expiring).isNotNull();
        assertThat(expiring.path("expr").asText()).isEqualTo(
                "min by (rule, namespace, team) (safeguard_audit_exemption_expiry_timestamp_seconds) - time() < 7 * 86400");

        JsonNode starting = alerts.get("KubeSafeguardEnforcementStartsSoon");
        assertThat(starting).isNotNull();
        String expr = starting.path("expr").asText();
        assertThat(expr).as("objects that violate the rule at deny level now, by the labels a route needs")
                .contains("sum by (rule, namespace, team, scope) (safeguard_audit_violations{action=\"deny\"})");
        assertThat(expr).as("joined on the rule and the scope (the policy governing the namespace) with a scheduled "
                + "enforcement in the next 7 days, not one in the past")
                .contains("and on (rule, scope)")
                .contains("safeguard_policy_scheduled_enforcement_timestamp_seconds - time() > 0 < 7 * 86400");

        for (JsonNode alert : List.of(expiring, starting)) {
            String name = alert.path("alert").asText();
            assertThat(alert.path("labels").path("severity").asText()).as(name).isEqualTo("warning");
            String text = alert.path("annotations").toString();
            assertThat(text).as("%s names the team, the namespace and the rule", name)
                    .contains("$labels.team", "$labels.namespace", "$labels.rule");
        }
        assertThat(expiring.path("annotations").path("description").asText()).contains("exempt-until", "maxDays");
        assertThat(starting.path("annotations").path("description").asText()).contains("enforceFrom", "exempt");
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
