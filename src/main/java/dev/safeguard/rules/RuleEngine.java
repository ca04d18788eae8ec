package dev.safeguard.rules;

import com.google.protobuf.NullValue;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelVariableResolver;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a {@link RuleSet} over one {@link Subject}: one {@link RuleResult} per rule that applies (on, and matching the
 * object's kind), passed, failed (with its message and remediation) or errored. A rule that fails at runtime or goes
 * over its {@link EvaluationBudget} becomes an error result instead of an exception; what it does is the policy's
 * business ({@link PolicyEngine}, the rule's onError). Stateless and thread-safe.
 */
public final class RuleEngine {

    /** Message used when a rule's message expression itself fails: the violation is still reported. */
    private static final String FALLBACK_MESSAGE = "%s (the rule's message could not be rendered: %s)";

    private final EvaluationBudget budget;

    public RuleEngine() {
        this(EvaluationBudget.DEFAULT);
    }

    public RuleEngine(EvaluationBudget budget) {
        this.budget = budget;
    }

    /** A result (PASS, FAIL or ERROR, no disposition yet) for every rule of {@code rules} that applies to the subject. */
    public List<RuleResult> evaluate(RuleSet rules, Subject subject, RelatedObjects related) {
        Input input = new Input(subject, related);
        List<RuleResult> results = new ArrayList<>();
        for (RuleSet.Entry entry : rules.entries()) {
            if (applies(entry, input.workload)) {
                results.add(run(entry, input));
            }
        }
        return results;
    }

    /**
     * One rule on one object, whatever its kind and action: how the engine asks "does this variant of the object
     * still break the rule, and in the same way?" when it traces a violation to its owner's template.
     */
    RuleResult evaluateOne(RuleSet.Entry entry, Subject subject, RelatedObjects related) {
        return run(entry, new Input(subject, related));
    }

    /** True when {@link #evaluate} runs this rule on this object: the rule is not off and matches the kind. */
    public static boolean applies(RuleSet.Entry entry, Workload workload) {
        return entry.action() != Action.OFF && entry.rule().matches(workload.kind());
    }

    private RuleResult run(RuleSet.Entry entry, Input input) {
        CompiledRule rule = entry.rule();
        Evaluation evaluation = new Evaluation(entry, input, budget.meter());
        Object compliant;
        try {
            compliant = evaluation.eval(rule.validation());
        } catch (CelEvaluationException | RuntimeException e) {
            return RuleResult.errored(entry, failure("validation", e, input));
        }
        if (!(compliant instanceof Boolean passed)) {
            return RuleResult.errored(entry, "validation returned " + typeOf(compliant) + " instead of a bool on "
                    + input.workload.reference());
        }
        if (passed) {
            return RuleResult.passed(entry);
        }
        String error = null;
        String message;
        try {
            Object rendered = evaluation.eval(rule.message());
            if (rendered instanceof String text && !text.isBlank()) {
                message = text;
            } else {
                error = "message returned " + typeOf(rendered) + " on " + input.workload.reference();
                message = String.format(FALLBACK_MESSAGE, rule.definition().title(), "not a string");
            }
        } catch (CelEvaluationException | RuntimeException e) {
            error = failure("message", e, input);
            message = String.format(FALLBACK_MESSAGE, rule.definition().title(), error);
        }
        String remediation = null;
        if (rule.remediation() != null) {
            try {
                remediation = rule.remediation().render(evaluation::interpolated);
            } catch (RuntimeException e) {
                String failed = failure("remediation", e, input);
                error = error == null ? failed : error + "; " + failed;
                remediation = rule.remediation().template();
            }
        }
        return RuleResult.failed(entry, message, remediation, error);
    }

    /** "validation failed on Deployment shop/web: ...", or what went over the budget, naming the variable that did. */
    private static String failure(String field, Exception e, Input input) {
        String where = field;
        Throwable cause = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof VariableFailed variable) {
                where = field + " (reading variables." + variable.name + ")";
                cause = variable.getCause();
                break;
            }
        }
        String exceeded = EvaluationBudget.exceeded(cause);
        if (exceeded != null) {
            return where + " went " + exceeded + " on " + input.workload.reference();
        }
        return where + " failed on " + input.workload.reference() + ": " + cause.getMessage();
    }

    private static String typeOf(Object value) {
        return value == null ? "null" : Objects.toString(value.getClass().getSimpleName());
    }

    /** What every rule sees about one object: derived once, shared by all rules. */
    private static final class Input {
        final Subject subject;
        final Workload workload;
        final Object oldObject;
        final Map<String, Object> request;
        final RelatedObjects related;

        Input(Subject subject, RelatedObjects related) {
            this.subject = subject;
            this.workload = Workload.of(subject.object());
            // CEL's null, so rules can write `oldObject == null` as in a ValidatingAdmissionPolicy.
            this.oldObject = subject.oldObject() == null ? NullValue.NULL_VALUE : subject.oldObject();
            this.request = subject.requestVariable();
            this.related = related;
        }

        Object shared(String name) {
            return switch (name) {
                case "object" -> subject.object();
                case "oldObject" -> oldObject;
                case "request" -> request;
                case "podSpec" -> workload.podSpec();
                case "podSpecPath" -> workload.podSpecPath();
                case "podLabels" -> workload.podLabels();
                case "containers" -> workload.containers();
                case "replicas" -> workload.replicas();
                default -> null;
            };
        }
    }

    /**
     * One rule on one object: the variables its expressions read (rule variables evaluated lazily, at most once), and
     * the meter that holds all of its expressions to one budget.
     */
    private static final class Evaluation implements CelVariableResolver {
        private final RuleSet.Entry entry;
        private final Input input;
        private final EvaluationBudget.Meter meter;
        private Map<String, Object> related;
        private Variables variables;

        Evaluation(RuleSet.Entry entry, Input input, EvaluationBudget.Meter meter) {
            this.entry = entry;
            this.input = input;
            this.meter = meter;
        }

        Object eval(CelRuntime.Program program) throws CelEvaluationException {
            return program.trace(this, meter);
        }

        @Override
        public Optional<Object> find(String name) {
            return switch (name) {
                case "params" -> Optional.of(entry.params());
                case "related" -> Optional.of(related());
                case RuleCompiler.RULE_VARIABLES -> Optional.of(variables());
                default -> Optional.ofNullable(input.shared(name));
            };
        }

        /** A value a remediation interpolates: a rule variable, or podSpecPath / replicas. */
        Object interpolated(String name) {
            CompiledRule.Variable variable = entry.rule().variable(name);
            return variable != null ? variables().value(variable) : input.shared(name);
        }

        private Variables variables() {
            if (variables == null) {
                variables = new Variables(this);
            }
            return variables;
        }

        /**
         * The {@code related} variable: for each kind the rule declares, the objects of that kind in the subject's
         * namespace, without the subject itself. Without a context source the map is empty, so a context rule guarded
         * by has(related.Kind) stays quiet instead of guessing.
         */
        private Map<String, Object> related() {
            if (related == null) {
                List<String> kinds = entry.rule().definition().related();
                RelatedObjects source = input.related;
                if (kinds.isEmpty() || !source.available()) {
                    related = Map.of();
                } else {
                    Map<String, Object> byKind = new LinkedHashMap<>();
                    String name = ObjectTree.string(input.subject.object(), "metadata", "name");
                    for (String kind : kinds) {
                        RelatedList objects = source.indexed(kind, input.subject.namespace());
                        byKind.put(kind, kind.equals(input.workload.kind()) ? objects.without(name) : objects);
                    }
                    related = byKind;
                }
            }
            return related;
        }
    }

    /** A variable that could not be evaluated: carried out of the map lookup that asked for it. */
    private static final class VariableFailed extends RuntimeException {
        final String name;

        VariableFailed(String name, Throwable cause) {
            super("variables." + name + ": " + cause.getMessage(), cause, false, false);
            this.name = name;
        }
    }

    /**
     * {@code variables}: the rule's variables by name, each evaluated the first time an expression reads it and kept
     * (a failure too) for the rest of this rule's evaluation on this object.
     */
    private static final class Variables extends AbstractMap<String, Object> {
        private final Evaluation evaluation;
        private final Object[] values;
        private final RuntimeException[] failures;
        private final boolean[] done;

        Variables(Evaluation evaluation) {
            this.evaluation = evaluation;
            int count = evaluation.entry.rule().variables().size();
            this.values = new Object[count];
            this.failures = new RuntimeException[count];
            this.done = new boolean[count];
        }

        Object value(CompiledRule.Variable variable) {
            int i = variable.index();
            if (!done[i]) {
                try {
                    values[i] = evaluation.eval(variable.program());
                } catch (CelEvaluationException | RuntimeException e) {
                    failures[i] = e instanceof VariableFailed failed ? failed : new VariableFailed(variable.name(), e);
                }
                done[i] = true;
            }
            if (failures[i] != null) {
                throw failures[i];
            }
            return values[i];
        }

        @Override
        public Object get(Object key) {
            CompiledRule.Variable variable = key instanceof String name ? evaluation.entry.rule().variable(name) : null;
            return variable == null ? null : value(variable);
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String name && evaluation.entry.rule().variable(name) != null;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Set<Entry<String, Object>> entries = new LinkedHashSet<>();
            for (CompiledRule.Variable variable : evaluation.entry.rule().variables()) {
                entries.add(new SimpleImmutableEntry<>(variable.name(), value(variable)));
            }
            return entries;
        }
    }
}
