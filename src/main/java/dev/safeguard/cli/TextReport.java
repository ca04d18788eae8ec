package dev.safeguard.cli;

import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Notice;
import dev.safeguard.rules.RuleResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The default report, for people and CI logs: one block per object with findings, headed by
 * {@code file:line} (which editors and CI logs turn into links), then one summary line and the verdict.
 * Colour only when asked for or on a terminal.
 */
final class TextReport {

    private static final String RESET = "\u001b[0m";
    private static final String BOLD = "\u001b[1m";
    private static final String RED = "\u001b[1;31m";
    private static final String YELLOW = "\u001b[33m";
    private static final String CYAN = "\u001b[36m";
    private static final String GREEN = "\u001b[32m";
    private static final String DIM = "\u001b[2m";

    private final boolean color;

    TextReport(boolean color) {
        this.color = color;
    }

    void write(CheckReport report, PrintWriter out) {
        for (CheckReport.ObjectResult result : report.results()) {
            List<String> lines = lines(result);
            if (lines.isEmpty()) {
                continue;
            }
            Manifest manifest = result.manifest();
            out.println(paint(BOLD, manifest.source() + ":" + manifest.line() + ": " + result.reference())
                    + paint(DIM, " (document " + manifest.document()
                            + (manifest.item() > 0 ? ", item " + manifest.item() : "") + ")"));
            lines.forEach(out::println);
            out.println();
        }
        out.println(summary(report));
        long failing = report.failing();
        String level = report.failOn().id();
        if (failing > 0) {
            out.println(paint(RED, "FAILED") + ": " + failing + " violation" + (failing == 1 ? "" : "s")
                    + " at or above --fail-on " + level);
        } else {
            out.println(paint(GREEN, "PASSED") + ": nothing at or above --fail-on " + level);
        }
    }

    private List<String> lines(CheckReport.ObjectResult result) {
        List<String> lines = new ArrayList<>();
        for (RuleResult finding : result.findings()) {
            String label = switch (CheckReport.Outcome.of(finding)) {
                case DENY -> paint(RED, pad("DENY"));
                case WOULD_DENY -> paint(YELLOW, pad("WOULD DENY"));
                case WARN -> paint(YELLOW, pad("WARN"));
                case AUDIT -> paint(CYAN, pad("AUDIT"));
                case INHERITED -> paint(DIM, pad("INHERITED"));
            };
            String dated = finding.schedule() == null ? "" : "(" + finding.schedule().text() + ") ";
            lines.add("  " + label + RuleResult.line(finding.ruleId(), dated + finding.text()));
        }
        Decision decision = result.decision();
        for (RuleResult exempt : decision.with(RuleResult.Status.EXEMPT)) {
            lines.add("  " + paint(DIM, pad("EXEMPT")) + RuleResult.line(exempt.ruleId(), exempt.reason()));
        }
        for (Notice notice : decision.notices()) {
            lines.add("  " + paint(DIM, pad("NOTE")) + notice.line());
        }
        for (RuleResult failed : decision.errors()) {
            if (failed.status() != RuleResult.Status.ERROR) { // an error result is a finding, shown above
                lines.add("  " + paint(YELLOW, pad("RULE ERROR")) + RuleResult.line(failed.ruleId(), failed.error()));
            }
        }
        return lines;
    }

    private static String summary(CheckReport report) {
        StringBuilder text = new StringBuilder();
        int objects = report.results().size();
        text.append("Checked ").append(objects).append(objects == 1 ? " object" : " objects")
                .append(" from ").append(report.bundle().sources())
                .append(report.bundle().sources() == 1 ? " source" : " sources")
                .append(" with policy ").append(report.policy().name())
                .append(" (mode ").append(report.policy().mode().id()).append(", ")
                .append(report.enabledRules()).append(" rules enabled)");
        text.append(": ").append(report.objectsWithViolations()).append(" with violations");
        List<String> counts = new ArrayList<>();
        for (Map.Entry<CheckReport.Outcome, Long> count : report.counts().entrySet()) {
            if (count.getValue() > 0) {
                counts.add(count.getValue() + " " + count.getKey().id());
            }
        }
        if (!counts.isEmpty()) {
            text.append(" (").append(String.join(", ", counts)).append(")");
        }
        appendCount(text, report.excluded(), "excluded by the policy");
        appendCount(text, report.exemptions(), "exemptions");
        appendCount(text, report.ruleErrors(), "rule errors");
        appendCount(text, report.bundle().skipped().size(), "documents skipped");
        return text.append('.').toString();
    }

    private static void appendCount(StringBuilder text, long count, String what) {
        if (count > 0) {
            text.append(", ").append(count).append(' ').append(what);
        }
    }

    private static String pad(String label) {
        return String.format("%-11s", label);
    }

    private String paint(String style, String text) {
        return color ? style + text + RESET : text;
    }
}
