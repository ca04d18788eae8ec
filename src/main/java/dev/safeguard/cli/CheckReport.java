package dev.safeguard.cli;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RuleResult;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code safeguard check} found: the policy's {@link Decision} for every object, and whether the run fails at
 * the chosen level. Every output format renders this, from the decisions' rule results.
 */
record CheckReport(Policy policy, Action failOn, ManifestReader.Bundle bundle, List<ObjectResult> results) {

    /**
     * How a finding is reported: its disposition (deny, would-deny, warn, audit), or inherited for a violation the
     * object's owner in the same bundle stands for. A would-deny counts at the warn level (it fails the run with
     * {@code --fail-on warn}, not with the default {@code --fail-on deny}); an inherited one never fails a run.
     */
    enum Outcome {
        DENY("deny"), WOULD_DENY("would-deny"), WARN("warn"), AUDIT("audit"), INHERITED("inherited");

        private final String id;

        Outcome(String id) {
            this.id = id;
        }

        /** The value of "action" in the JSON report. */
        String id() {
            return id;
        }

        /** The outcome of a finding; null for a result that is none (passed, skipped, exempt). */
        static Outcome of(RuleResult result) {
            if (result.status() == RuleResult.Status.INHERITED) {
                return INHERITED;
            }
            return result.disposition() == null ? null : of(result.disposition());
        }

        static Outcome of(Disposition disposition) {
            return switch (disposition) {
                case DENY -> DENY;
                case WOULD_DENY -> WOULD_DENY;
                case WARN -> WARN;
                case AUDIT -> AUDIT;
            };
        }
    }

    /** One object and the policy's decision on it. */
    record ObjectResult(Manifest manifest, Decision decision) {

        /** The results worth reporting (violations, errors, inherited violations), most severe first, then rule order. */
        List<RuleResult> findings() {
            return decision.results().stream().filter(result -> Outcome.of(result) != null)
                    .sorted(Comparator.comparing(Outcome::of)).toList();
        }

        /** "Deployment shop/web", or "Deployment web" when the namespace is unknown. */
        String reference() {
            return decision.objectReference();
        }
    }

    boolean fails(RuleResult finding) {
        Outcome outcome = Outcome.of(finding);
        return outcome != null && outcome != Outcome.INHERITED && finding.disposition().level().atLeast(failOn);
    }

    /** Exit code 1 when this is true: some finding at or above --fail-on. */
    boolean failed() {
        return failing() > 0;
    }

    long failing() {
        return results.stream().flatMap(result -> result.decision().results().stream()).filter(this::fails).count();
    }

    /** Findings per outcome, every outcome present (zero included), in severity order. */
    Map<Outcome, Long> counts() {
        Map<Outcome, Long> counts = new LinkedHashMap<>();
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, 0L);
        }
        for (ObjectResult result : results) {
            for (RuleResult finding : result.findings()) {
                counts.merge(Outcome.of(finding), 1L, Long::sum);
            }
        }
        return counts;
    }

    long objectsWithViolations() {
        return results.stream().filter(result -> result.findings().stream()
                .anyMatch(finding -> Outcome.of(finding) != Outcome.INHERITED)).count();
    }

    long excluded() {
        return results.stream().filter(result -> result.decision().excluded()).count();
    }

    long exemptions() {
        return count(RuleResult.Status.EXEMPT);
    }

    long ruleErrors() {
        return results.stream().mapToLong(result -> result.decision().errors().size()).sum();
    }

    private long count(RuleResult.Status status) {
        return results.stream().mapToLong(result -> result.decision().with(status).size()).sum();
    }

    long enabledRules() {
        return policy.rules().entries().stream().filter(entry -> entry.action() != Action.OFF).count();
    }
}
