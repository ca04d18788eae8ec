package dev.safeguard.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.Remediation;
import dev.safeguard.rules.RuleDefinition;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.rules.RuleSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * SARIF 2.1.0, as GitHub code scanning and other static-analysis viewers read it: one rule descriptor per
 * enabled safeguard (title, docs, default level from the policy), one result per violation located at the
 * file (relative to the working directory, as code scanning expects) and the document's first line.
 * Levels: deny is error; warn and audit-mode would-deny are warning; audit is note.
 */
final class SarifReport {

    static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

    private SarifReport() {
    }

    static void write(CheckReport report, PrintWriter out) throws IOException {
        ObjectNode root = JsonReport.JSON.createObjectNode();
        root.put("$schema", SCHEMA);
        root.put("version", "2.1.0");
        ObjectNode run = root.putArray("runs").addObject();
        ObjectNode driver = run.putObject("tool").putObject("driver");
        driver.put("name", "kube-safeguard");
        driver.put("version", SafeguardCommand.version());
        ArrayNode rules = driver.putArray("rules");
        Map<String, Integer> ruleIndex = new HashMap<>();
        for (RuleSet.Entry entry : report.policy().rules().entries()) {
            if (entry.action() == Action.OFF) {
                continue;
            }
            ruleIndex.put(entry.id(), rules.size());
            rules.add(descriptor(entry, report.policy().mode()));
        }
        ArrayNode results = run.putArray("results");
        for (CheckReport.ObjectResult result : report.results()) {
            Manifest manifest = result.manifest();
            for (RuleResult finding : result.findings()) {
                CheckReport.Outcome outcome = CheckReport.Outcome.of(finding);
                ObjectNode sarif = results.addObject();
                sarif.put("ruleId", finding.ruleId());
                Integer index = ruleIndex.get(finding.ruleId());
                if (index != null) {
                    sarif.put("ruleIndex", index);
                }
                sarif.put("level", level(outcome));
                sarif.putObject("message").put("text", finding.describe(result.reference()));
                ObjectNode physical = sarif.putArray("locations").addObject().putObject("physicalLocation");
                physical.putObject("artifactLocation").put("uri", uri(manifest.source()));
                physical.putObject("region").put("startLine", manifest.line());
                ObjectNode properties = sarif.putObject("properties")
                        .put("action", outcome.id())
                        .put("status", finding.status().id())
                        .put("object", result.reference())
                        .put("document", manifest.document());
                if (finding.remediation() != null) {
                    properties.put("remediation", finding.remediation());
                }
            }
        }
        run.putArray("invocations").addObject().put("executionSuccessful", true);
        JsonReport.JSON.writeValue(out, root);
        out.println();
    }

    private static ObjectNode descriptor(RuleSet.Entry entry, Mode mode) {
        RuleDefinition definition = entry.rule().definition();
        ObjectNode rule = JsonReport.JSON.createObjectNode();
        rule.put("id", definition.id());
        rule.put("name", pascalCase(definition.id()));
        rule.putObject("shortDescription").put("text", definition.title());
        String docs = definition.docs() == null || definition.docs().isBlank() ? definition.title()
                : definition.docs().strip();
        rule.putObject("fullDescription").put("text", firstParagraph(docs));
        // The fix first, on its own (placeholders the results fill in are shown as <name>), then the rule's docs.
        Remediation remediation = entry.rule().remediation();
        String fix = remediation == null ? "" : "Fix: " + remediation.generic() + "\n\n";
        rule.putObject("help").put("text", fix + docs)
                .put("markdown", "**" + definition.title() + "**\n\n" + (remediation == null ? ""
                        : "**Fix:** " + remediation.generic() + "\n\n") + docs);
        rule.putObject("defaultConfiguration").put("level",
                level(CheckReport.Outcome.of(Disposition.of(entry.action(), mode))));
        ObjectNode properties = rule.putObject("properties");
        properties.put("category", definition.category().id());
        properties.put("action", entry.action().id());
        properties.putArray("tags").add("kubernetes").add(definition.category().id());
        return rule;
    }

    static String level(CheckReport.Outcome outcome) {
        return switch (outcome) {
            case DENY -> "error";
            case WOULD_DENY, WARN -> "warning";
            case AUDIT -> "note";
            case INHERITED -> "none";
        };
    }

    /**
     * The artifact location: a relative URI from the working directory (code scanning resolves it against the
     * checkout), forward slashes, percent-encoded; an absolute file URI for files outside the working directory.
     */
    static String uri(String source) {
        try {
            Path path = Path.of(source);
            if (path.isAbsolute()) {
                Path cwd = Path.of("").toAbsolutePath();
                if (!path.normalize().startsWith(cwd)) {
                    return path.toUri().toString();
                }
                path = cwd.relativize(path.normalize());
            }
            String relative = path.normalize().toString().replace('\\', '/');
            return new URI(null, null, relative, null).toASCIIString();
        } catch (InvalidPathException | URISyntaxException e) {
            return source;
        }
    }

    private static String pascalCase(String id) {
        StringBuilder name = new StringBuilder();
        for (String part : id.split("-")) {
            if (!part.isEmpty()) {
                name.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return name.toString();
    }

    private static String firstParagraph(String text) {
        int end = text.indexOf("\n\n");
        return (end < 0 ? text : text.substring(0, end)).replace('\n', ' ').strip();
    }
}
