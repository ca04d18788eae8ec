package dev.safeguard.rules;

import dev.cel.runtime.CelRuntime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A rule ready to evaluate: its definition, its checked params, and its CEL programs (variables, validation,
 * message), compiled once when the rule loaded. Immutable and shared across threads; per-policy overrides (action,
 * onError, params) live in {@link RuleSet}.
 *
 * @param variables       the rule's variables, in declaration order
 * @param variablesByName the same, by name
 * @param remediation the parsed remediation, or null when the rule has none
 */
public record CompiledRule(RuleDefinition definition, String source, Params params, List<Variable> variables,
        Map<String, Variable> variablesByName, CelRuntime.Program validation, CelRuntime.Program message,
        Remediation remediation) {

    /**
     * A compiled variable.
     *
     * @param index its position, which is also its slot in an evaluation's cache
     */
    public record Variable(String name, int index, String expression, CelRuntime.Program program) {
    }

    public CompiledRule {
        variables = List.copyOf(variables);
        variablesByName = Map.copyOf(variablesByName);
    }

    public CompiledRule(RuleDefinition definition, String source, Params params, List<Variable> variables,
            CelRuntime.Program validation, CelRuntime.Program message, Remediation remediation) {
        this(definition, source, params, variables, index(variables), validation, message, remediation);
    }

    private static Map<String, Variable> index(List<Variable> variables) {
        Map<String, Variable> byName = new HashMap<>();
        variables.forEach(variable -> byName.put(variable.name(), variable));
        return byName;
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
        return variablesByName.get(name);
    }
}
