package dev.safeguard.rules;

import com.google.protobuf.NullValue;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelVariableResolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs a {@link RuleSet} over one {@link Subject}: every matching rule, every violation, and a rule that
 * fails at runtime becomes a {@link RuleError} instead of an exception. Stateless and thread-safe.
 */
public final class RuleEngine {

    /** Message used when a rule's message expression itself fails: the violation is still reported. */
    private static final String FALLBACK_MESSAGE = "%s (the rule's message could not be rendered: %s)";

    public Evaluation evaluate(RuleSet rules, Subject subject, RelatedObjects related) {
        Workload workload = Workload.of(subject.object());
        Map<String, Object> shared = sharedVariables(subject, workload);
        List<Violation> violations = new ArrayList<>();
        List<RuleError> errors = new ArrayList<>();
        for (RuleSet.Entry entry : rules.entries()) {
            if (applies(entry, workload)) {
                Violation violation = run(entry, subject, workload, shared, related, errors);
                if (violation != null) {
                    violations.add(violation);
                }
            }
        }
        return new Evaluation(workload.reference(), violations, errors);
    }

    /** What one rule makes of one object: passed, violated (with the message) or failed to evaluate. */
    record Outcome(Status status, String message) {
        enum Status { PASSED, VIOLATED, ERROR }

        boolean violated() {
            return status == Status.VIOLATED;
        }
    }

    /**
     * One rule on one object, whatever its kind and action: how the engine asks "does this variant of the
     * object still break the rule, and in the same way?" when it traces a violation to its owner's template.
     */
    Outcome evaluateOne(RuleSet.Entry entry, Subject subject, RelatedObjects related) {
        Workload workload = Workload.of(subject.object());
        List<RuleError> errors = new ArrayList<>();
        Violation violation = run(entry, subject, workload, sharedVariables(subject, workload), related, errors);
        if (!errors.isEmpty()) {
            return new Outcome(Outcome.Status.ERROR, errors.get(0).message());
        }
        return violation == null ? new Outcome(Outcome.Status.PASSED, null)
                : new Outcome(Outcome.Status.VIOLATED, violation.message());
    }

    /** The violation of one rule, or null when it passes or fails to evaluate (then added to {@code errors}). */
    private Violation run(RuleSet.Entry entry, Subject subject, Workload workload, Map<String, Object> shared,
            RelatedObjects related, List<RuleError> errors) {
        CompiledRule rule = entry.rule();
        CelVariableResolver variables = resolver(shared, entry.params(),
                relatedVariable(rule, subject.object(), workload, subject.namespace(), related));
        Object compliant;
        try {
            compliant = rule.validation().eval(variables);
        } catch (CelEvaluationException | RuntimeException e) {
            errors.add(new RuleError(rule.id(), "validation failed on " + workload.reference() + ": "
                    + e.getMessage()));
            return null;
        }
        if (!(compliant instanceof Boolean passed)) {
            errors.add(new RuleError(rule.id(), "validation returned " + describe(compliant)
                    + " instead of a bool on " + workload.reference()));
            return null;
        }
        return passed ? null
                : new Violation(rule.id(), rule.category(), entry.action(), message(rule, variables, errors, workload));
    }

    /**
     * True when {@link #evaluate} runs this rule on this object: the rule is not off and matches the kind.
     * Reports that list the rules checked per object ask here rather than repeat the logic.
     */
    public static boolean applies(RuleSet.Entry entry, Workload workload) {
        return entry.action() != Action.OFF && entry.rule().matches(workload.kind());
    }

    private static Map<String, Object> sharedVariables(Subject subject, Workload workload) {
        Map<String, Object> variables = new HashMap<>(16);
        variables.put("object", subject.object());
        // CEL's null, so rules can write `oldObject == null` as in a ValidatingAdmissionPolicy.
        variables.put("oldObject", subject.oldObject() == null ? NullValue.NULL_VALUE : subject.oldObject());
        variables.put("request", subject.requestVariable());
        variables.put("podSpec", workload.podSpec());
        variables.put("podSpecPath", workload.podSpecPath());
        variables.put("podLabels", workload.podLabels());
        variables.put("containers", workload.containers());
        variables.put("replicas", workload.replicas());
        return variables;
    }

    private static CelVariableResolver resolver(Map<String, Object> shared, Map<String, Object> params,
            Map<String, Object> related) {
        return name -> switch (name) {
            case "params" -> Optional.of(params);
            case "related" -> Optional.of(related);
            default -> Optional.ofNullable(shared.get(name));
        };
    }

    /**
     * The {@code related} variable: for each kind the rule declares, the objects of that kind in the
     * subject's namespace, without the subject itself. Without a context source the map is empty, so a
     * context rule guarded by has(related.Kind) stays quiet instead of guessing.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> relatedVariable(CompiledRule rule, Map<String, Object> object,
            Workload workload, String namespace, RelatedObjects related) {
        List<String> kinds = rule.definition().related();
        if (kinds.isEmpty() || !related.available()) {
            return Map.of();
        }
        Map<String, Object> byKind = new LinkedHashMap<>();
        String name = ObjectTree.string(object, "metadata", "name");
        for (String kind : kinds) {
            List<Object> objects = new ArrayList<>();
            for (Map<String, Object> other : related.list(kind, namespace)) {
                boolean self = kind.equals(workload.kind()) && name != null
                        && name.equals(ObjectTree.string(other, "metadata", "name"));
                if (!self) {
                    objects.add(related.normalised() ? other : ObjectTree.ofValue(other));
                }
            }
            byKind.put(kind, objects);
        }
        return byKind;
    }

    private static String message(CompiledRule rule, CelVariableResolver variables, List<RuleError> errors,
            Workload workload) {
        try {
            Object rendered = rule.message().eval(variables);
            if (rendered instanceof String text && !text.isBlank()) {
                return text;
            }
            errors.add(new RuleError(rule.id(), "message returned " + describe(rendered) + " on "
                    + workload.reference()));
            return String.format(FALLBACK_MESSAGE, rule.definition().title(), "not a string");
        } catch (CelEvaluationException | RuntimeException e) {
            errors.add(new RuleError(rule.id(), "message failed on " + workload.reference() + ": " + e.getMessage()));
            return String.format(FALLBACK_MESSAGE, rule.definition().title(), e.getMessage());
        }
    }

    private static String describe(Object value) {
        return value == null ? "null" : Objects.toString(value.getClass().getSimpleName());
    }
}
