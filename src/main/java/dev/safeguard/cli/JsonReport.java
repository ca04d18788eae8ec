package dev.safeguard.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.rules.PolicyDates;
import dev.safeguard.rules.RuleResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

/**
 * The JSON report, a stable contract documented in docs/cli.md:
 * {@code {"summary": {...}, "results": [{"source", "document", "kind", "namespace", "name",
 * "violations": [{"rule", "action", "message", "status", "remediation"}]}]}}. Every object checked has a result,
 * clean ones with an empty violations list.
 */
final class JsonReport {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private JsonReport() {
    }

    static void write(CheckReport report, PrintWriter out) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.set("summary", summary(report));
        ArrayNode results = root.putArray("results");
        for (CheckReport.ObjectResult result : report.results()) {
            Manifest manifest = result.manifest();
            ObjectNode entry = results.addObject();
            entry.put("source", manifest.source());
            entry.put("document", manifest.document());
            entry.put("kind", manifest.kind());
            entry.put("namespace", manifest.namespace());
            entry.put("name", manifest.name());
            if (!result.decision().team().isEmpty()) {
                entry.put("team", result.decision().team());
            }
            ArrayNode violations = entry.putArray("violations");
            for (RuleResult finding : result.findings()) {
                ObjectNode violation = violations.addObject()
                        .put("rule", finding.ruleId())
                        .put("action", CheckReport.Outcome.of(finding).id())
                        .put("message", finding.text())
                        .put("status", finding.status().id())
                        .put("remediation", finding.remediation());
                if (finding.schedule() != null) { // a would-deny until then
                    violation.put("enforceFrom", PolicyDates.format(finding.schedule().enforceFrom()));
                }
            }
        }
        JSON.writeValue(out, root);
        out.println();
    }

    private static ObjectNode summary(CheckReport report) {
        ObjectNode summary = JSON.createObjectNode();
        summary.put("policy", report.policy().name());
        summary.put("policyVersion", report.policy().version());
        summary.put("mode", report.policy().mode().id());
        summary.put("failOn", report.failOn().id());
        summary.put("failed", report.failed());
        summary.put("sources", report.bundle().sources());
        summary.put("objects", report.results().size());
        summary.put("objectsWithViolations", report.objectsWithViolations());
        summary.put("objectsExcluded", report.excluded());
        summary.put("documentsSkipped", report.bundle().skipped().size());
        ObjectNode violations = summary.putObject("violations");
        for (Map.Entry<CheckReport.Outcome, Long> count : report.counts().entrySet()) {
            violations.put(count.getKey().id(), count.getValue());
        }
        summary.put("failing", report.failing());
        summary.put("exemptions", report.exemptions());
        summary.put("ruleErrors", report.ruleErrors());
        return summary;
    }
}
