package dev.safeguard.rules;

import dev.cel.runtime.CelRuntime;
import java.util.List;

/**
 * A rule ready to evaluate: its definition, its checked params, and its CEL programs (variables, validation,
 * message), compiled once when the rule loaded. Immutable and shared across threads; per-policy overrides (action,
 * onError, params) live in {@link RuleSet}.
 *
 * @param variables   the rule's variables, in declaration order
 * @param remediation the parsed remediation, or null when the rule has none
 */
public record CompiledRule(RuleDefinition definition, String source, Params params, List<Variable> variables,
        CelRuntime.Program validation, CelRuntime.Program message, Remediation remediation) {

    /**
     * A compiled variable.
     *
     * @param index its position, which is also its slot in an evaluation's cache
     */
    public record Variable(String name, int index, String expression, CelRuntime.Program program) {
    }

    public CompiledRule {
        variables = List.copyOf(variables);
    }

    public String id() {
        return definition.id();
    }

    public Category category() {
        return definition.category();
    }

    public boolean matches(String kind) {
        return kind != null && definition.match().kinds().contains(kind);
    }

    /** The variable called {@code name}, or null. */
    public Variable variable(String name) {
        for (Variable variable : variables) {
            if (variable.name().equals(name)) {
                return variable;
            }
        }
        return null;
    }
}
