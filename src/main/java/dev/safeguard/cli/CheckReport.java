package dev.safeguard.cli;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code safeguard check} found: the policy's {@link Decision} for every object, turned into findings
 * with an outcome, and whether the run fails at the chosen level. Every output format renders this.
 */
record CheckReport(Policy policy, Action failOn, ManifestReader.Bundle bundle, List<ObjectResult> results) {

    /**
     * What happens to a violation. In audit mode a deny-level violation is a {@link #WOULD_DENY}: nothing is
     * rejected, so it counts at the warn level (it fails the run with {@code --fail-on warn}, not with the
     * default {@code --fail-on deny}).
     */
    enum Outcome {
        DENY("deny", Action.DENY),
        WOULD_DENY("would-deny", Action.WARN),
        WARN("warn", Action.WARN),
        AUDIT("audit", Action.AUDIT),
        /** The object's owner in the same bundle has the same violation: reported there, never failing here. */
        INHERITED("inherited", Action.OFF);

        private final String id;
        private final Action level;

        Outcome(String id, Action level) {
            this.id = id;
            this.level = level;
        }

        /** The value of "action" in the JSON report. */
        String id() {
            return id;
        }

        /** The severity --fail-on compares with. */
        Action level() {
            return level;
        }
    }

    /** One violation of one rule by one object. */
    record Finding(String rule, Outcome outcome, String message) {
    }

    /** One object, the policy's decision on it and its findings, most severe first. */
    record ObjectResult(Manifest manifest, Decision decision, List<Finding> findings) {

        static ObjectResult of(Manifest manifest, Decision decision) {
            List<Finding> findings = new ArrayList<>();
            add(findings, decision.denied(), Outcome.DENY);
            add(findings, decision.wouldDeny(), Outcome.WOULD_DENY);
            // Ratcheting needs an old object; a manifest has none, but map it as the webhook would: a warning.
            add(findings, decision.ratcheted(), Outcome.WARN);
            add(findings, decision.warnings(), Outcome.WARN);
            add(findings, decision.audited(), Outcome.AUDIT);
            for (Decision.Inherited inherited : decision.inherited()) {
                findings.add(new Finding(inherited.violation().ruleId(), Outcome.INHERITED,
                        "(as its owner " + inherited.owner() + ") " + inherited.violation().message()));
            }
            return new ObjectResult(manifest, decision, List.copyOf(findings));
        }

        private static void add(List<Finding> findings, List<Violation> violations, Outcome outcome) {
            for (Violation violation : violations) {
                findings.add(new Finding(violation.ruleId(), outcome, violation.message()));
            }
        }

        /** "Deployment shop/web", or "Deployment web" when the namespace is unknown. */
        String reference() {
            return decision.objectReference();
        }

        Finding finding(String rule) {
            return findings.stream().filter(finding -> finding.rule().equals(rule)).findFirst().orElse(null);
        }
    }

    boolean fails(Finding finding) {
        return finding.outcome() != Outcome.INHERITED && finding.outcome().level().atLeast(failOn);
    }

    /** Exit code 1 when this is true: some finding at or above --fail-on. */
    boolean failed() {
        return results.stream().anyMatch(result -> result.findings().stream().anyMatch(this::fails));
    }

    long failing() {
        return results.stream().flatMap(result -> result.findings().stream()).filter(this::fails).count();
    }

    /** Findings per outcome, every outcome present (zero included), in severity order. */
    Map<Outcome, Long> counts() {
        Map<Outcome, Long> counts = new LinkedHashMap<>();
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, 0L);
        }
        for (ObjectResult result : results) {
            for (Finding finding : result.findings()) {
                counts.merge(finding.outcome(), 1L, Long::sum);
            }
        }
        return counts;
    }

    long objectsWithViolations() {
        return results.stream().filter(result -> result.findings().stream()
                .anyMatch(finding -> finding.outcome() != Outcome.INHERITED)).count();
    }

    long excluded() {
        return results.stream().filter(result -> result.decision().excluded()).count();
    }

    long exemptions() {
        return results.stream().mapToLong(result -> result.decision().exemptions().size()).sum();
    }

    long ruleErrors() {
        return results.stream().mapToLong(result -> result.decision().errors().size()).sum();
    }

    long enabledRules() {
        return policy.rules().entries().stream().filter(entry -> entry.action() != Action.OFF).count();
    }
}
