package dev.safeguard.rules;

import dev.cel.runtime.CelRuntime;
import java.util.Map;

/**
 * A rule ready to evaluate: its definition and both CEL programs, compiled once when the rule loaded.
 * Immutable and shared across threads; per-policy overrides (action, params) live in {@link RuleSet}.
 */
public record CompiledRule(RuleDefinition definition, String source, CelRuntime.Program validation,
        CelRuntime.Program message) {

    public String id() {
        return definition.id();
    }

    public Category category() {
        return definition.category();
    }

    public boolean matches(String kind) {
        return kind != null && definition.match().kinds().contains(kind);
    }

    public Map<String, Object> defaultParams() {
        return definition.params();
    }
}
