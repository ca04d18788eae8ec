package dev.safeguard.cluster;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the background audit reports: the findings on one object, and one namespace's findings as a report
 * document in the format that Policy Reporter and other tools read ({@code wgpolicyk8s.io/v1alpha2}
 * PolicyReport, or OpenReports' {@code openreports.io/v1alpha1} Report). One report per namespace, never one
 * per resource: the number of report objects stays at namespaces + 1.
 */
final class AuditReport {

    /** The report's name in every namespace (and of the cluster-scoped one). */
    static final String NAME = "kube-safeguard";
    static final String SOURCE = "kube-safeguard";
    static final String TRUNCATED_ANNOTATION = "safeguard.dev/results-truncated";

    /** The report kinds, by the setting safeguard.audit.report-format (SafeguardConfig.ReportFormat). */
    enum Format {
        POLICYREPORT("wgpolicyk8s.io", "v1alpha2", "PolicyReport", "policyreports", "ClusterPolicyReport",
                "clusterpolicyreports"),
        OPENREPORTS("openreports.io", "v1alpha1", "Report", "reports", "ClusterReport", "clusterreports");

        final String group;
        final String version;
        final String kind;
        final String plural;
        final String clusterKind;
        final String clusterPlural;

        Format(String group, String version, String kind, String plural, String clusterKind, String clusterPlural) {
            this.group = group;
            this.version = version;
            this.kind = kind;
            this.plural = plural;
            this.clusterKind = clusterKind;
            this.clusterPlural = clusterPlural;
        }

        String apiVersion() {
            return group + "/" + version;
        }
    }

    /**
     * One result entry: a rule's verdict on one object.
     *
     * @param result   fail (a deny-level violation: enforce would reject it), warn (warn or audit level), skip
     *                 (exempted, with the reason as message) or error (the rule could not be evaluated)
     * @param severity high for deny, medium for warn, low for audit
     * @param action   the rule's action in the policy: what the admission webhook does about it
     */
    record Finding(String rule, String category, String result, String severity, String action, String message,
            Map<String, Object> resource) {
    }

    private AuditReport() {
    }

    /** The findings of the policy's decision on one object; inherited violations are reported on the owner. */
    static List<Finding> findings(Decision decision, Map<String, Object> object) {
        List<Finding> findings = new ArrayList<>();
        if (decision.excluded()) {
            return findings;
        }
        Map<String, Object> resource = resource(object);
        for (RuleResult result : decision.results()) {
            String verdict = switch (result.status()) {
                case FAIL -> result.action() == Action.DENY ? "fail" : "warn";
                case EXEMPT -> "skip";
                case ERROR -> "error";
                default -> null; // passed, skipped, or inherited: reported on the owner
            };
            if (verdict != null) {
                String message = result.status() == RuleResult.Status.EXEMPT
                        ? "exempt (" + PolicyEngine.EXEMPT_ANNOTATION + "): " + result.reason() : result.text();
                findings.add(new Finding(result.ruleId(), result.category().id(), verdict, severity(result.action()),
                        result.action().id(), message, resource));
            }
        }
        return findings;
    }

    static String severity(Action action) {
        return switch (action) {
            case DENY -> "high";
            case WARN -> "medium";
            case AUDIT, OFF -> "low";
        };
    }

    /**
     * The report of one namespace ({@code namespace} null: the cluster-scoped report).
     *
     * @param findings every finding standing in the namespace, with the time each object was judged
     * @param passes   rule verdicts that passed, for the summary
     * @param cap      at most this many results are listed; the summary keeps the exact totals and an
     *                 annotation says how many were left out
     */
    /** The label a report carries with the team of its namespace (the policy's teamLabel), for routing. */
    public static final String TEAM_LABEL = "safeguard.dev/team";

    static Map<String, Object> document(Format format, String namespace, String policyName, String team,
            List<TimedFinding> findings, long passes, int cap) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("apiVersion", format.apiVersion());
        report.put("kind", namespace == null ? format.clusterKind : format.kind);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", NAME);
        if (namespace != null) {
            metadata.put("namespace", namespace);
        }
        metadata.put("labels", team == null || team.isEmpty() ? Map.of("app.kubernetes.io/managed-by", SOURCE)
                : Map.of("app.kubernetes.io/managed-by", SOURCE, TEAM_LABEL, team));
        List<TimedFinding> sorted = new ArrayList<>(findings);
        sorted.sort(Comparator.comparingInt((TimedFinding timed) -> rank(timed.finding().severity()))
                .thenComparing(timed -> String.valueOf(timed.finding().resource().get("kind")))
                .thenComparing(timed -> String.valueOf(timed.finding().resource().get("name")))
                .thenComparing(timed -> timed.finding().rule()));
        if (sorted.size() > cap) {
            metadata.put("annotations", Map.of(TRUNCATED_ANNOTATION, "listing " + cap + " of " + sorted.size()
                    + " results, most severe first (safeguard.audit.max-results); the summary counts all of them"));
        }
        report.put("metadata", metadata);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("pass", passes);
        for (String result : List.of("fail", "warn", "error", "skip")) {
            summary.put(result, findings.stream().filter(timed -> timed.finding().result().equals(result)).count());
        }
        report.put("summary", summary);
        List<Object> results = new ArrayList<>();
        for (TimedFinding timed : sorted.subList(0, Math.min(cap, sorted.size()))) {
            results.add(result(policyName, timed));
        }
        report.put("results", results);
        return report;
    }

    /** A finding and when its object was judged with this outcome (kept while the outcome stands). */
    record TimedFinding(Finding finding, Instant judged) {
    }

    private static Map<String, Object> result(String policyName, TimedFinding timed) {
        Finding finding = timed.finding();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("source", SOURCE);
        result.put("policy", policyName);
        result.put("rule", finding.rule());
        result.put("category", finding.category());
        result.put("severity", finding.severity());
        result.put("result", finding.result());
        result.put("scored", true);
        result.put("message", finding.message());
        result.put("resources", List.of(finding.resource()));
        result.put("timestamp", Map.of("seconds", timed.judged().getEpochSecond(), "nanos", 0));
        result.put("properties", Map.of("action", finding.action()));
        return result;
    }

    private static int rank(String severity) {
        return switch (severity) {
            case "high" -> 0;
            case "medium" -> 1;
            default -> 2;
        };
    }

    /** The object reference a result names. */
    static Map<String, Object> resource(Map<String, Object> object) {
        Map<String, Object> resource = new LinkedHashMap<>();
        putIfPresent(resource, "apiVersion", ObjectTree.string(object, "apiVersion"));
        putIfPresent(resource, "kind", ObjectTree.string(object, "kind"));
        putIfPresent(resource, "namespace", ObjectTree.string(object, "metadata", "namespace"));
        putIfPresent(resource, "name", ObjectTree.string(object, "metadata", "name"));
        putIfPresent(resource, "uid", ObjectTree.string(object, "metadata", "uid"));
        return resource;
    }

    private static void putIfPresent(Map<String, Object> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
