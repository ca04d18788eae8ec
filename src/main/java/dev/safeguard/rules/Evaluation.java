package dev.safeguard.rules;

import java.util.List;

/** Everything the engine found on one object: every violation (never only the first) and every rule error. */
public record Evaluation(String objectReference, List<Violation> violations, List<RuleError> errors) {

    public Evaluation {
        violations = List.copyOf(violations);
        errors = List.copyOf(errors);
    }

    public List<Violation> withAction(Action action) {
        return violations.stream().filter(violation -> violation.action() == action).toList();
    }

    public boolean hasAny(Action action) {
        return violations.stream().anyMatch(violation -> violation.action() == action);
    }
}
