package dev.safeguard.rules;

import dev.cel.common.ast.CelExpr;
import dev.cel.runtime.CelEvaluationListener;
import java.util.Locale;

/**
 * How much CEL evaluation one rule may spend on one object, so that one rule (a custom rule, or a built-in one fed
 * a hostile object) cannot stall the webhook. Two bounds, both from cel-java:
 * <ul>
 * <li>{@value #MAX_ITERATIONS} comprehension iterations per expression evaluation (cel-java's
 * {@code comprehensionMaxIterations});</li>
 * <li>a step budget per rule and object, shared by its validation, variables, message and remediation: every
 * expression node cel-java evaluates is reported to an evaluation listener, which counts it. Roughly 60 ns a step
 * on the development machine, so the default of {@value #DEFAULT_STEPS} steps bounds a rule at tens of
 * milliseconds. The pack's rules take a few hundred steps on an ordinary workload.</li>
 * </ul>
 * A rule over either bound is a rule error, handled by the rule's onError like any other.
 */
public record EvaluationBudget(long maxSteps) {

    /** Comprehension iterations one expression evaluation may make. */
    public static final int MAX_ITERATIONS = 100_000;

    /** Evaluation steps one rule may take on one object. */
    public static final long DEFAULT_STEPS = 1_000_000;

    public static final EvaluationBudget DEFAULT = new EvaluationBudget(DEFAULT_STEPS);

    public EvaluationBudget {
        if (maxSteps < 1) {
            throw new IllegalArgumentException("a budget of at least one step");
        }
    }

    /** Thrown by the listener once a rule has taken more steps than its budget. */
    static final class Exceeded extends RuntimeException {
        Exceeded(long steps) {
            super("more than " + String.format(Locale.ROOT, "%,d", steps) + " evaluation steps", null, false, false);
        }
    }

    /** Counts the steps of one rule on one object, across all its expressions. Not thread-safe: one per evaluation. */
    final class Meter implements CelEvaluationListener {
        private long steps;

        @Override
        public void callback(CelExpr expr, Object result) {
            if (++steps > maxSteps) {
                throw new Exceeded(maxSteps);
            }
        }

        long steps() {
            return steps;
        }
    }

    Meter meter() {
        return new Meter();
    }

    /** The error message when an evaluation failed for going over a bound, else null. */
    static String exceeded(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof Exceeded exceeded) {
                return "over its evaluation budget (" + exceeded.getMessage() + ")";
            }
            if (cause.getClass().getSimpleName().equals("CelIterationLimitExceededException")
                    || String.valueOf(cause.getMessage()).contains("Iteration budget exceeded")) {
                return "over its evaluation budget (more than " + String.format(Locale.ROOT, "%,d", MAX_ITERATIONS)
                        + " comprehension iterations in one expression)";
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return null;
    }
}
