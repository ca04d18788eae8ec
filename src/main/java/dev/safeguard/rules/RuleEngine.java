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
        Map<String, Object> object = subject.object();
        Workload workload = Workload.of(object);
        Map<String, Object> shared = sharedVariables(subject, workload);
        List<Violation> violations = new ArrayList<>();
        List<RuleError> errors = new ArrayList<>();
        for (RuleSet.Entry entry : rules.entries()) {
            if (!applies(entry, workload)) {
                continue;
            }
            CompiledRule rule = entry.rule();
            CelVariableResolver variables = resolver(shared, entry.params(),
                    relatedVariable(rule, object, workload, subject.namespace(), related));
            Object compliant;
            try {
                compliant = rule.validation().eval(variables);
            } catch (CelEvaluationException | RuntimeException e) {
                errors.add(new RuleError(rule.id(), "validation failed on " + workload.reference() + ": "
                        + e.getMessage()));
                continue;
            }
            if (!(compliant instanceof Boolean passed)) {
                errors.add(new RuleError(rule.id(), "validation returned " + describe(compliant)
                        + " instead of a bool on " + workload.reference()));
                continue;
            }
            if (!passed) {
                violations.add(new Violation(rule.id(), rule.category(), entry.action(),
                        message(rule, variables, errors, workload)));
            }
        }
        return new Evaluation(workload.reference(), violations, errors);
    }

    /**
     * True when {@link #evaluate} runs this rule on this object: the rule is not off, matches the kind, and
     * does not skip the object as one a controller made from a template judged through its owner. Reports
     * that list the rules checked per object ask here rather than repeat the logic.
     */
    public static boolean applies(RuleSet.Entry entry, Workload workload) {
        CompiledRule rule = entry.rule();
        return entry.action() != Action.OFF && rule.matches(workload.kind())
                && !(skipsCheckedThroughOwner(rule.category()) && workload.isCheckedThroughOwner());
    }

    /** Reliability and hygiene rules skip objects checked through their owner (see {@link Workload}). */
    public static boolean skipsCheckedThroughOwner(Category category) {
        return category == Category.RELIABILITY || category == Category.HYGIENE;
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
